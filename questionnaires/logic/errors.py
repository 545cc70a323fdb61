"""The one exception of the logic language."""

from __future__ import annotations


class ExpressionError(Exception):
    """An expression that cannot be parsed.

    ``message`` is the human-readable text (also ``str(error)``); ``position`` is the 0-based
    character offset of the problem in the expression text, or None when it has no single place.
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        """Return the message, e.g. ``unexpected ')' at column 7``."""
        return self.message

    def __repr__(self) -> str:
        """Return a debugging representation."""
        return f"ExpressionError({self.message!r}, position={self.position!r})"
