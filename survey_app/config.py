"""Typed settings, read from environment variables and validated once at start-up.

Every setting has exactly one name, the environment variable (``DATABASE_URL``, ``SECRET_KEY`` and
``SURVEY_*``). ``create_app(config)`` accepts the same names as overrides, so tests and the CLI do
not need a second vocabulary. A bad value stops the app with a message that names the variable and
says what is expected, instead of a stack trace from deep inside SQLAlchemy or Werkzeug.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

#: The UI languages, as BCP 47 tags (the form questionnaires and respondents use), with their
#: own names for the language switcher. Babel locale ids are the same with ``_`` (``zh_Hans``).
LANGUAGES: dict[str, str] = {"en": "English", "zh-Hans": "简体中文", "zh-Hant": "繁體中文"}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_RANDOM_KEY_HOWTO = 'e.g. the output of: python -c "import secrets; print(secrets.token_urlsafe(32))"'


class SettingsError(RuntimeError):
    """The environment does not describe a working configuration; the message says how to fix it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Invalid settings:\n" + "\n".join(f"  - {p}" for p in problems))


def normalize_language(value: str) -> str | None:
    """Return the supported BCP 47 tag for ``value`` (``zh_hans`` -> ``zh-Hans``), else None."""
    wanted = value.strip().replace("_", "-").lower()
    for tag in LANGUAGES:
        if tag.lower() == wanted:
            return tag
    return None


def _whole_number(value: object, what: str, minimum: int) -> int:
    text = str(value).strip()
    try:
        number = int(text)
    except ValueError:
        raise ValueError(f"must be a whole number of {what}, got {text!r}") from None
    if number < minimum:
        raise ValueError(f"must be at least {minimum} ({what}), got {number}")
    return number


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"must be true or false (1/0, yes/no and on/off work too), got {value!r}")


def normalize_database_url(value: str) -> str:
    """Accept ``postgres://``, ``postgresql://`` and ``sqlite:///`` URLs; always use psycopg 3.

    Hosting platforms hand out ``postgres://`` URLs, which SQLAlchemy no longer accepts, and a bare
    ``postgresql://`` would pick psycopg2, which is not installed.
    """
    text = value.strip()
    if text.startswith("postgres://"):
        text = "postgresql://" + text[len("postgres://") :]
    try:
        url = make_url(text)
    except ArgumentError:
        raise ValueError(
            "must be a database URL such as postgresql://user:password@host:5432/dbname "
            f"or sqlite:////absolute/path/survey.db, got {text!r}"
        ) from None
    backend = url.get_backend_name()
    if backend == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        shown = url.render_as_string(hide_password=True)
        raise ValueError(f"must be a PostgreSQL or SQLite URL, got {shown!r}")
    return url.render_as_string(hide_password=False)


class Settings(BaseModel):
    """Start-up settings; field aliases are the environment variable names."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    secret_key: SecretStr | None = Field(default=None, alias="SECRET_KEY")
    #: The address respondents and staff use; an https URL also makes cookies Secure.
    public_base_url: str | None = Field(default=None, alias="SURVEY_PUBLIC_BASE_URL")
    #: How many reverse proxies set X-Forwarded-* headers in front of the app (0: trust none).
    proxy_fix_hops: int = Field(default=0, alias="SURVEY_PROXY_FIX_HOPS")
    #: How long a sign-in lasts at most (counted from the last change to the session cookie); the
    #: cookie also ends when the browser closes.
    session_lifetime_minutes: int = Field(default=480, alias="SURVEY_SESSION_LIFETIME_MINUTES")
    default_language: str = Field(default="en", alias="SURVEY_DEFAULT_LANGUAGE")
    #: Where the SQLite file and the generated secret key live (default: Flask's instance folder).
    instance_path: str | None = Field(default=None, alias="SURVEY_INSTANCE_PATH")
    #: A single-machine demo: a missing SECRET_KEY is generated into the instance folder.
    demo: bool = Field(default=False, alias="SURVEY_DEMO")
    sql_echo: bool = Field(default=False, alias="SURVEY_SQL_ECHO")
    #: The IANA time zone staff pages show and read survey dates in (stored in UTC).
    timezone: str = Field(default="UTC", alias="SURVEY_TIMEZONE")

    # --- fieldwork delivery (survey_app/fieldwork, survey_app/integrations) ---------------------
    #: Twilio account (``AC`` + 32 hex) and Auth Token: REST calls and webhook signatures.
    twilio_account_sid: str | None = Field(default=None, alias="SURVEY_TWILIO_ACCOUNT_SID")
    twilio_auth_token: SecretStr | None = Field(default=None, alias="SURVEY_TWILIO_AUTH_TOKEN")
    #: Send Twilio REST calls here instead of ``*.twilio.com`` (a mock such as Prism); unset in production.
    twilio_api_base_url: str | None = Field(default=None, alias="SURVEY_TWILIO_API_BASE_URL")
    #: The E.164 number texts and calls come from.
    twilio_from_number: str | None = Field(default=None, alias="SURVEY_TWILIO_FROM_NUMBER")
    smtp_host: str | None = Field(default=None, alias="SURVEY_SMTP_HOST")
    smtp_port: int = Field(default=587, alias="SURVEY_SMTP_PORT")
    #: ``starttls`` (upgrade a plain connection), ``ssl`` (TLS from the start, port 465) or ``none``.
    smtp_security: str = Field(default="starttls", alias="SURVEY_SMTP_SECURITY")
    smtp_username: str | None = Field(default=None, alias="SURVEY_SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(default=None, alias="SURVEY_SMTP_PASSWORD")
    #: The From of invitation e-mails, e.g. ``Survey team <survey@example.org>``.
    mail_from: str | None = Field(default=None, alias="SURVEY_MAIL_FROM")
    #: The return path of invitations (``bounces@example.org``): each is sent with the envelope
    #: sender ``bounces+<signed attempt token>@example.org`` (VERP), so a late bounce names its attempt.
    bounce_address: str | None = Field(default=None, alias="SURVEY_BOUNCE_ADDRESS")
    #: A Maildir the worker drains of bounces (delivery status notifications) every minute.
    bounce_maildir: str | None = Field(default=None, alias="SURVEY_BOUNCE_MAILDIR")
    #: Who invites, as named in invitations ("{organisation} invites you ...").
    organisation_name: str = Field(default="Survey team", alias="SURVEY_ORGANISATION_NAME")
    #: How often the worker looks for due contact attempts.
    worker_poll_seconds: int = Field(default=15, alias="SURVEY_WORKER_POLL_SECONDS")
    #: Per-sender rate limits (messages or calls per second).
    email_per_second: float = Field(default=5.0, alias="SURVEY_EMAIL_PER_SECOND")
    sms_per_second: float = Field(default=1.0, alias="SURVEY_SMS_PER_SECOND")
    calls_per_second: float = Field(default=1.0, alias="SURVEY_CALLS_PER_SECOND")
    #: When an answering machine takes an interview call: ``hangup`` (default) or leave a ``message``.
    ivr_on_machine: str = Field(default="hangup", alias="SURVEY_IVR_ON_MACHINE")
    #: An attempt left ``sending`` by a worker that stopped is reconciled after this long.
    reconcile_after_seconds: int = Field(default=120, alias="SURVEY_RECONCILE_AFTER_SECONDS")
    #: Records of handled Twilio webhooks (which make retries idempotent) are kept this long; Twilio
    #: retries a webhook within hours, so older ones are deleted by the worker once a day.
    webhook_retention_days: int = Field(default=30, alias="SURVEY_WEBHOOK_RETENTION_DAYS")

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value: object) -> str | None:
        return normalize_database_url(str(value)) if value else None

    @field_validator("secret_key", mode="before")
    @classmethod
    def _secret_key(cls, value: object) -> object:
        if value and len(str(value)) < 16:
            raise ValueError(f"must be at least 16 random characters, {_RANDOM_KEY_HOWTO}")
        return value or None

    @field_validator("public_base_url", mode="before")
    @classmethod
    def _public_base_url(cls, value: object) -> str | None:
        if not value:
            return None
        text = str(value).strip().rstrip("/")
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"must be an absolute http:// or https:// URL such as https://survey.example.org, "
                f"got {value!r}"
            )
        return text

    @field_validator("proxy_fix_hops", mode="before")
    @classmethod
    def _proxy_fix_hops(cls, value: object) -> int:
        return _whole_number(value, "proxies in front of the app (0 when none)", 0)

    @field_validator("session_lifetime_minutes", mode="before")
    @classmethod
    def _session_lifetime(cls, value: object) -> int:
        return _whole_number(value, "minutes", 1)

    @field_validator("default_language", mode="before")
    @classmethod
    def _default_language(cls, value: object) -> str:
        tag = normalize_language(str(value))
        if tag is None:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}, got {value!r}")
        return tag

    @field_validator("twilio_account_sid", mode="before")
    @classmethod
    def _twilio_account_sid(cls, value: object) -> str | None:
        if not value:
            return None
        text = str(value).strip()
        if not re.fullmatch(r"AC[0-9a-f]{32}", text):
            raise ValueError(f"must be AC followed by 32 hexadecimal digits (Twilio console), got {text!r}")
        return text

    @field_validator("twilio_api_base_url", mode="before")
    @classmethod
    def _twilio_api_base_url(cls, value: object) -> str | None:
        if not value:
            return None
        text = str(value).strip().rstrip("/")
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            raise ValueError(f"must be a scheme and host such as http://127.0.0.1:4010, got {value!r}")
        return text

    @field_validator("twilio_from_number", mode="before")
    @classmethod
    def _twilio_from_number(cls, value: object) -> str | None:
        if not value:
            return None
        text = str(value).strip()
        if not re.fullmatch(r"\+[1-9][0-9]{6,14}", text):
            raise ValueError(f"must be an E.164 number such as +14155550100, got {text!r}")
        return text

    @field_validator("smtp_port", mode="before")
    @classmethod
    def _smtp_port(cls, value: object) -> int:
        port = _whole_number(value, "TCP port", 1)
        if port > 65535:
            raise ValueError(f"must be a TCP port (1-65535), got {port}")
        return port

    @field_validator("smtp_security", mode="before")
    @classmethod
    def _smtp_security(cls, value: object) -> str:
        text = str(value).strip().lower()
        if text not in ("starttls", "ssl", "none"):
            raise ValueError(f"must be starttls, ssl or none, got {value!r}")
        return text

    @field_validator("bounce_address", mode="before")
    @classmethod
    def _bounce_address(cls, value: object) -> str | None:
        if not value:
            return None
        text = str(value).strip()
        try:
            # ASCII only: the address goes into MAIL FROM, which servers without SMTPUTF8 refuse.
            address = validate_email(text, check_deliverability=False, allow_smtputf8=False).normalized
        except EmailNotValidError as exc:
            raise ValueError(f"must be a plain e-mail address such as bounces@example.org ({exc})") from None
        if "+" in address.rpartition("@")[0]:
            raise ValueError(
                f"must not contain + before the @ (the attempt token is added after a +), got {text!r}"
            )
        return address

    @field_validator("bounce_maildir", mode="before")
    @classmethod
    def _bounce_maildir(cls, value: object) -> str | None:
        if not value:
            return None
        text = str(value).strip()
        if not Path(text).is_absolute():
            raise ValueError(
                f"must be an absolute path (the worker's working directory may change), got {text!r}"
            )
        return text

    @field_validator("worker_poll_seconds", mode="before")
    @classmethod
    def _poll(cls, value: object) -> int:
        return _whole_number(value, "seconds", 1)

    @field_validator("reconcile_after_seconds", mode="before")
    @classmethod
    def _reconcile_after(cls, value: object) -> int:
        return _whole_number(value, "seconds", 0)

    @field_validator("webhook_retention_days", mode="before")
    @classmethod
    def _webhook_retention(cls, value: object) -> int:
        return _whole_number(value, "days", 1)

    @field_validator("ivr_on_machine", mode="before")
    @classmethod
    def _ivr_on_machine(cls, value: object) -> str:
        text = str(value).strip().lower()
        if text not in ("hangup", "message"):
            raise ValueError(f"must be hangup or message, got {value!r}")
        return text

    @field_validator("email_per_second", "sms_per_second", "calls_per_second", mode="before")
    @classmethod
    def _rate(cls, value: object) -> float:
        text = str(value).strip()
        try:
            rate = float(text)
        except ValueError:
            raise ValueError(f"must be a number of messages per second, got {text!r}") from None
        if not rate > 0:
            raise ValueError(f"must be more than 0 messages per second, got {text!r}")
        return rate

    @field_validator("timezone", mode="before")
    @classmethod
    def _timezone(cls, value: object) -> str:
        text = str(value).strip()
        try:
            ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"must be an IANA time zone such as Asia/Shanghai or UTC, got {text!r}"
            ) from None
        return text

    @field_validator("demo", "sql_echo", mode="before")
    @classmethod
    def _flags(cls, value: object) -> bool:
        return _boolean(value)

    @property
    def uses_https(self) -> bool:
        return bool(self.public_base_url and self.public_base_url.startswith("https://"))


def _alias_names() -> set[str]:
    return {field.alias for field in Settings.model_fields.values() if field.alias}


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build :class:`Settings` from ``environ`` (default ``os.environ``) updated by ``overrides``.

    Empty environment variables count as unset, the way shells and ``.env`` files leave them.

    :raises SettingsError: listing every invalid variable and what it should contain.
    """
    names = _alias_names()
    source = os.environ if environ is None else environ
    raw: dict[str, Any] = {k: v for k, v in source.items() if k in names and v != ""}
    raw.update({k: v for k, v in (overrides or {}).items() if k in names and v is not None})
    try:
        return Settings.model_validate(raw)
    except ValidationError as exc:
        raise SettingsError([_describe(error) for error in exc.errors()]) from None


def _describe(error: Mapping[str, Any]) -> str:
    name = ".".join(str(part) for part in error["loc"])
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, ValueError):
        return f"{name} {cause}"
    return f"{name}: {error['msg']}, got {error.get('input')!r}"


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file, always absolute so the working directory never matters."""
    return URL.create("sqlite", database=str(path.resolve())).render_as_string()


def instance_secret_key(instance_path: Path) -> str:
    """Read ``instance/secret_key``, creating it (mode 0600) with a random key on first use.

    The key must survive restarts, or every restart would log everybody out; generating it into a
    private file keeps the one-command demo working without anyone choosing a key.
    """
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")  # created 0600
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            # link() fails if the file exists: when two workers start together exactly one key
            # wins, and nobody ever reads a half-written file.
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    key = path.read_text().strip()
    if len(key) < 16:
        raise SettingsError([f"{path} must hold a secret key of at least 16 characters"])
    return key


def missing_secret_key_error() -> SettingsError:
    """The error for a production start without SECRET_KEY."""
    return SettingsError(
        [
            "SECRET_KEY is required (outside debug and testing): set it to a long random string, "
            f"{_RANDOM_KEY_HOWTO}; for a single-machine demo set SURVEY_DEMO=1 to have one generated "
            "into the instance folder"
        ]
    )
