"""Making names unique: XLSForm names and list names on export, our ids and choice codes on import."""

from __future__ import annotations

from collections.abc import Container


def unique_name(base: str, taken: Container[str], *, limit: int | None = None) -> str:
    """Return ``base``, or ``base_2``, ``base_3`` ... : the first that is not in ``taken``.

    With ``limit``, every candidate is cut to at most ``limit`` characters, the suffix kept.
    ``taken`` is not changed.
    """
    name = base if limit is None else base[:limit]
    counter = 2
    while name in taken:
        suffix = f"_{counter}"
        name = (base if limit is None else base[: limit - len(suffix)]) + suffix
        counter += 1
    return name
