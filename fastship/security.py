"""Who may open what: page headers and the operators' network allow-list.

Django 5.2 has no Content-Security-Policy of its own: the pages get a strict
one here.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from fastship.api.error_format import error_body
from fastship.requestlog.records import client_ip

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


OPERATOR_PREFIXES = ("/admin/", "/django-rq/")


class AdminNetworkMiddleware:
    """Answer 403 to operator pages from outside ``ADMIN_ALLOWED_NETWORKS``.

    The client address is the one the load balancer reports: the
    ``TRUSTED_PROXIES``-th entry from the right of
    X-Forwarded-For, never what the client wrote there. No setting, no check.
    Sync and async: it adds no thread hop under ASGI.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.networks = list(settings.ADMIN_ALLOWED_NETWORKS)
        self.trusted_proxies = settings.TRUSTED_PROXIES
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        refused = self.refusal(request)
        if self.is_async:
            return self._acall(request, refused)
        return refused or self.get_response(request)

    async def _acall(
        self, request: HttpRequest, refused: HttpResponse | None
    ) -> HttpResponseBase:
        return refused or await self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        if not self.networks or not request.path.startswith(OPERATOR_PREFIXES):
            return None
        address = client_ip(request.META, trusted_proxies=self.trusted_proxies)
        if address is not None:
            ip = ipaddress.ip_address(address)
            if any(ip in network for network in self.networks):
                return None
        body = error_body(
            "permission_denied", "Operator pages are not open to this network."
        )
        return HttpResponse(body, status=403, content_type="application/json")
