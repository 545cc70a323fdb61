"""Link tokens: unguessable, shown once, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

#: 24 random bytes = 192 bits, well above the 128 bits that make guessing hopeless.
TOKEN_BYTES = 24


def new_token() -> str:
    """Return a fresh URL-safe token for a personal, open or resume link."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """Return the SHA-256 hex digest stored in place of ``token``.

    A fast hash is right here (unlike passwords): the token has 192 bits of entropy, so there is
    nothing to brute-force, and the respondent's request must stay cheap.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
