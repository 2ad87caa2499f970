"""Request ids and request logs for every request that gets past the probe.

The middleware builds one record after the response exists and hands it to the
shipper's bounded buffer: no network I/O, no waiting, no thread hop of its own.
"""

from __future__ import annotations

import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from fastship import metric_series
from fastship.logs import request_id_var
from fastship.requestlog.records import build_record, request_id_from
from fastship.requestlog.shipper import get_shipper

REQUEST_ID_HEADER = "X-Request-ID"


class RequestLogMiddleware:
    """Keep or make the request id, return it, and log the request without waiting."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.enabled = settings.REQUEST_LOG_ENABLED
        self.sample_rate = settings.REQUEST_LOG_SAMPLE_RATE
        self.slow_ms = settings.REQUEST_LOG_SLOW_MS
        self.trusted_proxies = settings.TRUSTED_PROXIES
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(
        self, request: HttpRequest
    ) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self.is_async:
            return self.__acall__(request)
        started_at, started = time.time(), time.perf_counter()
        request_id = self._bind(request)
        token = request_id_var.set(request_id)
        try:
            response: HttpResponseBase = self.get_response(request)
        finally:
            request_id_var.reset(token)
        return self._finish(request, response, request_id, started_at, started)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        started_at, started = time.time(), time.perf_counter()
        request_id = self._bind(request)
        token = request_id_var.set(request_id)
        try:
            response: HttpResponseBase = await self.get_response(request)
        finally:
            request_id_var.reset(token)
        return self._finish(request, response, request_id, started_at, started)

    @staticmethod
    def _bind(request: HttpRequest) -> str:
        request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        return request_id

    def _finish(
        self,
        request: HttpRequest,
        response: HttpResponseBase,
        request_id: str,
        started_at: float,
        started: float,
    ) -> HttpResponseBase:
        response[REQUEST_ID_HEADER] = request_id
        duration_ms = (time.perf_counter() - started) * 1000
        match = request.resolver_match
        metric_series.request_done(
            match.route if match is not None else "unmatched",
            request.method or "",
            response.status_code,
            duration_ms,
        )
        if not self.enabled:
            return response
        if self._sampled_out(response.status_code, duration_ms):
            return response
        record = build_record(
            request,
            response,
            request_id=request_id,
            started_at=started_at,
            duration_ms=duration_ms,
            trusted_proxies=self.trusted_proxies,
        )
        get_shipper().submit(record)
        return response

    def _sampled_out(self, status_code: int, duration_ms: float) -> bool:
        """Sample successful fast requests; errors and slow requests are always kept."""
        if self.sample_rate >= 1.0 or status_code >= 400 or duration_ms >= self.slow_ms:
            return False
        return random.random() >= self.sample_rate  # noqa: S311 - sampling, not security
