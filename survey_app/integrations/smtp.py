"""SMTP transport: one connection per batch, built from the settings (host, port, STARTTLS/SSL, login).

A message counts as handed over only when the server answers 250 to the end of DATA (RFC 5321
§4.1.1.4: with that reply the server takes responsibility). Errors are sorted for the caller:
:class:`PermanentMailError` (5xx: the address or the message is refused; do not retry) and
:class:`TemporaryMailError` (4xx, connection problems: retry later).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from types import TracebackType

from survey_app.config import Settings

TIMEOUT_SECONDS = 30.0


class MailNotConfigured(RuntimeError):
    """SMTP settings are missing; the message names them."""


class MailError(Exception):
    """Sending failed; ``code`` is the SMTP reply code when the server gave one."""

    def __init__(self, message: str, code: int | None = None, *, recipient: bool = False) -> None:
        super().__init__(message)
        self.code = code
        #: The refusal was of the recipient address (RCPT): a bounce.
        self.recipient = recipient


class PermanentMailError(MailError):
    """The server refused for good (5xx); ``recipient`` says whether it refused the address."""


class TemporaryMailError(MailError):
    """Try again later (4xx reply, connection refused or dropped before the message was accepted)."""


def mail_problems(settings: Settings) -> list[str]:
    """Return what is missing for sending e-mail (empty when configured)."""
    missing = []
    if not settings.smtp_host:
        missing.append("SURVEY_SMTP_HOST")
    if not settings.mail_from:
        missing.append("SURVEY_MAIL_FROM")
    return missing


class SmtpTransport:
    """Sends messages over one SMTP connection, opened on first use and reopened after an error.

    Use as a context manager so the connection is closed with ``QUIT``::

        with SmtpTransport(settings) as transport:
            transport.send(message)
    """

    def __init__(self, settings: Settings) -> None:
        missing = mail_problems(settings)
        if missing:
            raise MailNotConfigured(f"E-mail is not configured: set {', '.join(missing)}")
        self.settings = settings
        self._connection: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        host, port = str(settings.smtp_host), settings.smtp_port
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if settings.smtp_security == "ssl":
            connection = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS, context=context)
        else:
            connection = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
            if settings.smtp_security == "starttls":
                connection.starttls(context=context)
        if settings.smtp_username:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            connection.login(settings.smtp_username, password)
        return connection

    def send(self, message: EmailMessage, *, envelope_sender: str | None = None) -> None:
        """Hand ``message`` to the server; return once it answered 250.

        ``envelope_sender`` is the MAIL FROM (the return path bounces go to); default: the From.

        :raises PermanentMailError: a 5xx refusal (bounce).
        :raises TemporaryMailError: a 4xx reply or a connection problem.
        """
        if self._connection is None:
            try:
                self._connection = self._connect()
            except (smtplib.SMTPException, OSError) as exc:
                # A refused login or greeting is our configuration, never the respondent's address.
                raise TemporaryMailError(f"cannot connect or sign in to the SMTP server: {exc}") from exc
        try:
            refused = self._connection.send_message(message, from_addr=envelope_sender)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            code, reply = next(iter(exc.recipients.values()))
            raise _classified(code, reply, recipient=True) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise _classified(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise TemporaryMailError(f"SMTP connection problem: {exc}") from exc
        if refused:  # several recipients and some refused; we always send to one
            code, reply = next(iter(refused.values()))
            raise _classified(code, reply, recipient=True)

    def close(self) -> None:
        """Say QUIT and close the connection (errors while closing are irrelevant)."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()


def _classified(code: int, reply: bytes | str, *, recipient: bool = False) -> MailError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    if 500 <= code < 600:
        return PermanentMailError(f"{code} {text}", code, recipient=recipient)
    return TemporaryMailError(f"{code} {text}", code)
