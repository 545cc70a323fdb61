"""Links in outbound messages: personal survey links, unsubscribe tokens and public webhook URLs.

A personal link's token is stored only as a hash (``surveys.tokens``), so a message sent days
later cannot read it back. Fieldwork therefore *derives* the token: HMAC-SHA256 of the case id
under the app's ``SECRET_KEY``. The database alone still leaks no working link; rotating
``SECRET_KEY`` changes every derived link (re-issue before sending again).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlencode, urlsplit

from flask import Flask
from itsdangerous import BadSignature, URLSafeSerializer

from survey_app.surveys.tokens import TOKEN_BYTES

_LINK_CONTEXT = b"survey-personal-link:"
_UNSUBSCRIBE_SALT = "fieldwork-unsubscribe"


class PublicUrlMissing(RuntimeError):
    """Messages need absolute links, and SURVEY_PUBLIC_BASE_URL is not set."""


def personal_link_token(secret_key: str, case_id: int) -> str:
    """Return the personal-link token of ``case_id`` (192 bits, URL-safe), derivable at any time."""
    digest = hmac.new(secret_key.encode("utf-8"), _LINK_CONTEXT + str(case_id).encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:TOKEN_BYTES]).rstrip(b"=").decode("ascii")


def unsubscribe_token(secret_key: str, case_id: int) -> str:
    """Return the signed token of an unsubscribe link (no expiry: RFC 8058 links must keep working)."""
    return str(URLSafeSerializer(secret_key, salt=_UNSUBSCRIBE_SALT).dumps(case_id))


def case_from_unsubscribe_token(secret_key: str, token: str) -> int | None:
    """Return the case id signed into ``token``, or None when it is forged or malformed."""
    try:
        value = URLSafeSerializer(secret_key, salt=_UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def public_url(app: Flask, endpoint: str, query: dict[str, str] | None = None, **values: object) -> str:
    """Return the absolute public URL of ``endpoint`` (no request needed: the worker builds links too).

    :raises PublicUrlMissing: SURVEY_PUBLIC_BASE_URL is not set.
    """
    base = app.config["SURVEY_SETTINGS"].public_base_url
    if not base:
        raise PublicUrlMissing("set SURVEY_PUBLIC_BASE_URL: messages and webhooks need the public address")
    parts = urlsplit(base)
    adapter = app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}?{urlencode(query)}" if query else url
