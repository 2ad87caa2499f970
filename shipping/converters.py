"""Path converters: a segment matches only the characters its value can have.

Anything else (a NUL byte, a slash, a space) is a 404 before any view or
query runs; PostgreSQL refuses NUL in text and would answer with an error.
"""

from __future__ import annotations


class TrackingCodeConverter:
    """A tracking code, 32 characters at most: ``FS-7K2M-9XQ4-D3WA-HN`` today,
    URL-safe base64 for codes issued before (``shipping/tracking_codes.py``)."""

    regex = "[A-Za-z0-9_-]{1,32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class TagNameConverter(TrackingCodeConverter):
    """A tag name: letters, digits, ``_`` and ``-``, 32 at most."""

    regex = "[A-Za-z0-9_-]{1,32}"
