"""Headers for the HTML pages people open (Django 5.2 has no CSP of its own)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpResponse

# The pages need nothing from another origin, no script, no frame: say so.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


def content_security_policy(view: Callable[..., HttpResponse]) -> Callable[..., Any]:
    """Add :data:`PAGE_CSP` to every response ``view`` returns."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> HttpResponse:
        response = view(*args, **kwargs)
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        return response

    return wrapped
