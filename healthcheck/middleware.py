"""The first middleware: answers the liveness probe under WSGI and runserver.

Under ASGI, ``healthcheck.asgi.ProbeASGIMiddleware`` answers before Django; this
middleware is the same answer for the other entry points (and a second line of
defence). A system check keeps it first in ``MIDDLEWARE``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse

from healthcheck.probe import PATHS, probe_answer


def probe_response(request: HttpRequest) -> HttpResponse:
    """Build the probe's ``HttpResponse`` from the shared answer."""
    status, headers, body = probe_answer(request.method or "GET")
    response = HttpResponse(body, status=status)
    for name, value in headers:
        response[name] = value
    return response


class ProbeMiddleware:
    """Return the probe answer for ``/health``; call the rest of the chain otherwise."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        # Stay in the mode of the chain behind us: no thread hop of our own.
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self.__acall__(request)
        if request.path_info in PATHS:
            return probe_response(request)
        response: HttpResponse = self.get_response(request)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info in PATHS:
            return probe_response(request)
        response: HttpResponse = await self.get_response(request)
        return response
