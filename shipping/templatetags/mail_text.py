"""Filters for text that sellers and partners wrote, shown in mails to others.

Such text reaches a recipient who never chose its author, so it must not work
as a link: addresses are defanged (``hxxps[:]//pay[.]example``, the form
security mails use) so no mail client turns them into links, and the plain
text part shows it as a quotation, set apart from what FastShip says.
"""

from __future__ import annotations

import re

from django import template

register = template.Library()

_SCHEME = re.compile(r"\b(?:(h)tt(ps?)|([a-z][a-z0-9+.-]*)):(//)?", re.IGNORECASE)
# A dot between a name and what looks like a domain label (example.com,
# a@b.org, an IDN such as пример.рф), not in numbers (1.5 kg) and not before a
# space (end of a sentence). Mail clients take the ideographic and full-width
# full stops (U+3002, U+FF0E, U+FF61) for dots in host names too.
_HOST_DOT = re.compile(r"(?<=[\w-])[.\u3002\uff0e\uff61](?=[^\W\d_][\w-])")
_WIDE_DOT = re.compile(r"(?<=\w)[\u3002\uff0e\uff61](?=\w)")
# An IPv4 literal (203.0.113.7, also with a port or a path after it).
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)")
_MAX_LINES = 20


def defang(text: str) -> str:
    """Return ``text`` with every URL, host name and address made inert."""

    def scheme(match: re.Match[str]) -> str:
        if match.group(1):  # http / https
            name = f"{match.group(1)}xx{match.group(2)}"
        elif match.group(4) or match.group(3).lower() in {"mailto", "tel", "sms"}:
            name = match.group(3)
        else:
            return match.group(0)  # "Note: fragile" stays as it is
        return f"{name}[:]{match.group(4) or ''}"

    text = _SCHEME.sub(scheme, str(text))
    text = _IPV4.sub(r"\1[.]\2[.]\3[.]\4", text)
    return _WIDE_DOT.sub("[.]", _HOST_DOT.sub("[.]", text))


@register.filter
def untrusted(text: str) -> str:
    """Defang third-party text (autoescaping still applies in HTML)."""
    return defang(text)


@register.filter
def quoted(text: str) -> str:
    """Defang third-party text and quote it, ``> `` before each line."""
    lines = defang(text).splitlines() or [""]
    return "\n".join(f"> {line}" for line in lines[:_MAX_LINES])
