"""Path converters: a segment matches only the characters its value can have.

Anything else (a NUL byte, a slash, a space) is a 404 before any view or
query runs; PostgreSQL refuses NUL in text and would answer with an error.
"""

from __future__ import annotations


class TrackingCodeConverter:
    """A tracking code: URL-safe base64 (``secrets.token_urlsafe``), 32 at most."""

    regex = "[A-Za-z0-9_-]{1,32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class TagNameConverter(TrackingCodeConverter):
    """A tag name: letters, digits, ``_`` and ``-``, 32 at most."""

    regex = "[A-Za-z0-9_-]{1,32}"
