"""Tracking codes people can read out, type and select: ``FS-7K2M-9XQ4-D3WA-HN``.

Fourteen symbols from an alphabet without look-alikes (no 0/O, 1/I/L, U),
grouped by dashes: 30**14 is about 2**68.7, so codes cannot be guessed.
Codes issued before (URL-safe base64, e.g. ``-WQo2d_zQfz5KfX_``) keep working:
they are looked up as they are.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
SYMBOLS = 14
GROUPS = (4, 4, 4, 2)
PREFIX = "FS"
_TYPED = re.compile(rf"^(?:{PREFIX})?[{ALPHABET}]{{{SYMBOLS}}}$")


def _grouped(symbols: str) -> str:
    parts, start = [PREFIX], 0
    for size in GROUPS:
        parts.append(symbols[start : start + size])
        start += size
    return "-".join(parts)


def new_tracking_code() -> str:
    """A new random code, e.g. ``FS-7K2M-9XQ4-D3WA-HN``."""
    return _grouped("".join(secrets.choice(ALPHABET) for _ in range(SYMBOLS)))


def canonical_tracking_code(typed: str) -> str | None:
    """The code someone typed, as issued: case, spaces and dashes forgiven.

    ``fs 7k2m 9xq4 d3wa hn`` and ``7K2M9XQ4D3WAHN`` both give
    ``FS-7K2M-9XQ4-D3WA-HN``; anything that cannot be a current code gives None.
    """
    squeezed = re.sub(r"[\s-]", "", typed).upper()
    if not _TYPED.match(squeezed):
        return None
    return _grouped(squeezed.removeprefix(PREFIX))
