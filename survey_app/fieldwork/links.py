"""Links in outbound messages: personal survey links, unsubscribe tokens and public webhook URLs.

A personal link's token is stored only as a hash (``surveys.tokens``), so a message sent days
later cannot read it back. Fieldwork therefore *derives* the token: HMAC-SHA256 of the case id
under the app's ``SECRET_KEY``. The database alone still leaks no working link; rotating
``SECRET_KEY`` changes every derived link (re-issue before sending again).

The bounce token (VERP, ``fieldwork.bounces``) is the same kind of HMAC, of the attempt id: it
rides in the envelope sender ``bounces+<token>@domain``, so it is lower-case base32 (mail
servers may change the case of a local part) and short (a local part holds 64 characters).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import urlencode, urlsplit

from flask import Flask
from itsdangerous import BadSignature, URLSafeSerializer

from survey_app.surveys.tokens import TOKEN_BYTES

_LINK_CONTEXT = b"survey-personal-link:"
_BOUNCE_CONTEXT = b"survey-bounce:"
_UNSUBSCRIBE_SALT = "fieldwork-unsubscribe"
#: Bytes of the bounce token's MAC: 80 bits, 16 base32 characters (a forger has to guess them).
_BOUNCE_MAC_BYTES = 10
_BOUNCE_TOKEN = re.compile(r"([1-9][0-9]{0,17})-([a-z2-7]{16})")


class PublicUrlMissing(RuntimeError):
    """Messages need absolute links, and SURVEY_PUBLIC_BASE_URL is not set."""


def _mac(secret_key: str, context: bytes, number: int) -> bytes:
    # One key, several uses: the context keeps a token of one kind from passing for another.
    return hmac.new(secret_key.encode("utf-8"), context + str(number).encode(), hashlib.sha256).digest()


def personal_link_token(secret_key: str, case_id: int) -> str:
    """Return the personal-link token of ``case_id`` (192 bits, URL-safe), derivable at any time."""
    digest = _mac(secret_key, _LINK_CONTEXT, case_id)
    return base64.urlsafe_b64encode(digest[:TOKEN_BYTES]).rstrip(b"=").decode("ascii")


def bounce_token(secret_key: str, attempt_id: int) -> str:
    """Return the signed token of an attempt for its VERP return path: ``<id>-<16 base32 chars>``."""
    mac = _mac(secret_key, _BOUNCE_CONTEXT, attempt_id)[:_BOUNCE_MAC_BYTES]
    return f"{attempt_id}-{base64.b32encode(mac).decode('ascii').lower()}"


def attempt_from_bounce_token(secret_key: str, token: str) -> int | None:
    """Return the attempt id signed into a bounce token, or None when it is forged or malformed."""
    match = _BOUNCE_TOKEN.fullmatch(token.strip().lower())
    if match is None:
        return None
    attempt_id = int(match.group(1))
    return attempt_id if hmac.compare_digest(bounce_token(secret_key, attempt_id), match.group(0)) else None


def verp_address(bounce_address: str, token: str) -> str:
    """Return ``local+token@domain``: the envelope sender that brings an attempt's bounces back."""
    local, _, domain = bounce_address.rpartition("@")
    return f"{local}+{token}@{domain}"


def token_of_verp_address(address: str) -> str | None:
    """Return what follows the last ``+`` of the local part of ``address`` (None: no ``+``)."""
    local = address.strip().strip("<>").rpartition("@")[0]
    _, plus, token = local.rpartition("+")
    return token if plus and token else None


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
