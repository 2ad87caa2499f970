"""Who may open what: page headers and the operators' network allow-list.

Django 5.2 has no Content-Security-Policy of its own: the pages get a strict
one here.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
)
from django.http.multipartparser import MultiPartParserError

from fastship.api.error_format import error_body
from fastship.requestlog.records import client_ip

# The pages need nothing from another origin, no script, no frame: say so.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)


# The tracking page: the same, and its own script file (local times, copy).
TRACKING_CSP = PAGE_CSP.replace(
    "default-src 'none';", "default-src 'none'; script-src 'self';"
)


# Swagger UI (/docs): its scripts, styles and images from here, its calls to
# this API; its stylesheet and the page's own style block are inline styles.
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def with_csp(policy: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator adding ``policy`` to every response of a view."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            response = view(*args, **kwargs)
            response.headers.setdefault("Content-Security-Policy", policy)
            return response

        return wrapped

    return decorate


content_security_policy = with_csp(PAGE_CSP)


OPERATOR_PREFIXES = ("/admin/", "/django-rq/")


class RefusingMiddleware:
    """A middleware that answers some requests itself (``refusal``) and passes
    the rest on. Sync and async: it adds no thread hop under ASGI."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
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
        raise NotImplementedError


class AdminNetworkMiddleware(RefusingMiddleware):
    """Answer 403 to operator pages from outside ``ADMIN_ALLOWED_NETWORKS``.

    The client address is the one the load balancer reports: the
    ``TRUSTED_PROXIES``-th entry from the right of
    X-Forwarded-For, never what the client wrote there. No setting, no check.
    """

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        super().__init__(get_response)
        self.networks = list(settings.ADMIN_ALLOWED_NETWORKS)
        self.trusted_proxies = settings.TRUSTED_PROXIES

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


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class QueryGuardMiddleware(RefusingMiddleware):
    """Answer 400 to a query string or form with a NUL character, or with more
    fields than Django reads (``DATA_UPLOAD_MAX_NUMBER_FIELDS``, 1,000).

    PostgreSQL stores no NUL in text, so one reaching a query (an admin
    filter, a review's comment) was a 500; JSON bodies and path segments are
    refused by the API's fields and converters. Too many fields made Django
    raise wherever the query was first read (a 500 in DRF's views). Both are
    refused here, before any view.
    """

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        query = request.META.get("QUERY_STRING", "")
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        if limit is not None and query.count("&") + query.count(";") >= limit:
            return _refused(
                request,
                "too_many_fields",
                f"Too many query or form fields (at most {limit:,}).",
            )
        carries_nul = "\x00" in unquote_plus(query) if query else False
        kind = request.META.get("CONTENT_TYPE", "")
        # Forms of pages and the admin (DRF reads the API's bodies itself).
        if (
            not carries_nul
            and request.method == "POST"
            and kind.startswith(FORM_TYPES)
            and not request.path.startswith("/api/")
        ):
            try:
                fields = list(request.POST.lists())
            except (MultiPartParserError, SuspiciousOperation):
                return _refused(request, "parse_error", "The form could not be read.")
            carries_nul = any(
                "\x00" in value for _, values in fields for value in values
            )
        if not carries_nul:
            return None
        return _refused(
            request, "null_characters_not_allowed", "Null characters are not allowed."
        )


def _refused(request: HttpRequest, code: str, detail: str) -> HttpResponse:
    """400 in the API's error format under /api/, a plain page elsewhere."""
    if request.path.startswith("/api/"):
        body = error_body(code, detail, "validation_error")
        return HttpResponse(body, status=400, content_type="application/json")
    return HttpResponseBadRequest(detail, content_type="text/plain")
