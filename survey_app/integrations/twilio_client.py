"""The one factory for Twilio REST clients.

``twilio.rest.Client`` has no base-URL setting; its supported seam is ``http_client=``. Every
client here gets :class:`RedirectingHttpClient`, which sends ``*.twilio.com`` requests to
``SURVEY_TWILIO_API_BASE_URL`` when that is set (the Prism mock in tests and demos; list fields are
then encoded the way Prism reads them, :func:`mock_form`) and remembers
the last response's headers, so a 429's ``Retry-After`` can be honoured. Nothing else in the code
knows about the mock.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from survey_app.config import Settings

#: Seconds to wait for Twilio: connect and read.
TIMEOUT_SECONDS = 30.0


class TwilioNotConfigured(RuntimeError):
    """The settings lack what a Twilio call needs; the message names the variables."""


class RedirectingHttpClient(TwilioHttpClient):  # type: ignore[misc]  # the SDK is untyped here
    """A ``TwilioHttpClient`` that can point ``*.twilio.com`` at another scheme and host."""

    def __init__(self, base_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = urlsplit(base_url) if base_url else None
        self.last_headers: dict[str, str] = {}

    def rewrite(self, url: str) -> str:
        """Return ``url`` with a Twilio host replaced by the configured base URL."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if self.base is None or not (host == "twilio.com" or host.endswith(".twilio.com")):
            return url
        return urlunsplit((self.base.scheme, self.base.netloc, parts.path, parts.query, parts.fragment))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        """Send the SDK's request, to the configured base URL when one is set."""
        self.last_headers = {}
        target = self.rewrite(url)
        if target != url and isinstance(kwargs.get("data"), dict):
            kwargs["data"] = mock_form(kwargs["data"])
        response = super().request(method, target, *args, **kwargs)
        self.last_headers = {str(k).lower(): str(v) for k, v in (response.headers or {}).items()}
        return response

    def retry_after(self) -> float | None:
        """Return the last response's ``Retry-After`` in seconds (None when absent or a date)."""
        value = self.last_headers.get("retry-after")
        try:
            return max(0.0, float(value)) if value is not None else None
        except ValueError:
            return None


def mock_form(data: dict[str, Any]) -> dict[str, Any]:
    """Return form fields as Prism reads them: a list field (``StatusCallbackEvent``) as ``Key[]``.

    Twilio reads repeated keys (``StatusCallbackEvent=initiated&StatusCallbackEvent=ringing``) as a
    list; Prism only reads ``StatusCallbackEvent[]=...`` as one and answers 422 otherwise. Only
    requests redirected to the mock are changed.
    """
    return {(f"{key}[]" if isinstance(value, list | tuple) else key): value for key, value in data.items()}


def twilio_problems(settings: Settings) -> list[str]:
    """Return what is missing for Twilio calls (empty when configured)."""
    missing = []
    if not settings.twilio_account_sid:
        missing.append("SURVEY_TWILIO_ACCOUNT_SID")
    if settings.twilio_auth_token is None:
        missing.append("SURVEY_TWILIO_AUTH_TOKEN")
    if not settings.twilio_from_number:
        missing.append("SURVEY_TWILIO_FROM_NUMBER")
    return missing


def machine_detection(settings: Settings) -> str:
    """Return the ``MachineDetection`` of interview calls: wait for the beep only to leave a message.

    ``Enable`` reports a machine as soon as its greeting starts (hang up at once);
    ``DetectMessageEnd`` waits for the beep, so a message is recorded whole.
    """
    return "DetectMessageEnd" if settings.ivr_on_machine == "message" else "Enable"


def build_twilio_client(settings: Settings) -> Client:
    """Return a Twilio REST client for the configured account.

    :raises TwilioNotConfigured: naming the missing settings.
    """
    missing = twilio_problems(settings)
    if missing:
        raise TwilioNotConfigured(f"Twilio is not configured: set {', '.join(missing)}")
    assert settings.twilio_auth_token is not None  # checked above, for mypy
    http_client = RedirectingHttpClient(settings.twilio_api_base_url, timeout=TIMEOUT_SECONDS)
    return Client(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        http_client=http_client,
    )
