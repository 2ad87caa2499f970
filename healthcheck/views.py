"""Readiness and diagnostics at ``/api/v1/health`` (not the load balancer's path)."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from fastship.process_local import ProcessLocal
from healthcheck.checks import health_redis_client
from healthcheck.probe import (
    ALLOW,
    CACHE_CONTROL,
    CONTENT_TYPE,
    METHOD_NOT_ALLOWED_BODY,
)
from healthcheck.readiness import Readiness, registered_checks

logger = logging.getLogger(__name__)


def _build_readiness() -> Readiness:
    return Readiness(
        registered_checks(settings.HEALTH_CHECK_TIMEOUT),
        deadline=settings.HEALTH_DEADLINE,
        ttl=settings.HEALTH_CACHE_TTL,
    )


_readiness = ProcessLocal(_build_readiness)
# This process's readiness runner, built on first use.
get_readiness = _readiness.get


def reset_readiness() -> None:
    """Forget the runner and its cached report (tests that change settings)."""
    _readiness.reset()
    health_redis_client.reset()


async def caller_may_see_details(request: HttpRequest) -> bool:
    """Return whether the caller holds the health token or is a staff user."""
    token = settings.HEALTH_TOKEN
    authorization = request.headers.get("Authorization", "")
    if token and authorization.startswith("Bearer "):
        offered = authorization.removeprefix("Bearer ").strip()
        if hmac.compare_digest(offered.encode(), token.encode()):
            return True
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    # A staff session needs the database; a hung database must not hang this.
    try:
        user = await asyncio.wait_for(
            request.auser(), timeout=settings.HEALTH_CHECK_TIMEOUT
        )
    except Exception as error:
        logger.info("health details: session lookup failed (%s)", type(error).__name__)
        return False
    return bool(user.is_active and user.is_staff)


def _health_response(body: bytes, status: int) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type=CONTENT_TYPE)
    response["Cache-Control"] = CACHE_CONTROL
    return response


async def readiness_view(request: HttpRequest) -> HttpResponse:
    """Answer health+json: 200 for pass and warn, 503 for fail, within the deadline."""
    if request.method not in ("GET", "HEAD"):
        response = HttpResponse(
            METHOD_NOT_ALLOWED_BODY, status=405, content_type="application/json"
        )
        response["Allow"] = ALLOW
        return response
    readiness = get_readiness()
    future = asyncio.wrap_future(readiness.report_future())
    try:
        # shield: one caller giving up must not cancel the round others share.
        report = await asyncio.wait_for(
            asyncio.shield(future), timeout=readiness.deadline + 1
        )
    except TimeoutError:
        logger.error("readiness round overran its deadline")
        return _health_response(json.dumps({"status": "fail"}).encode(), 503)
    details = await caller_may_see_details(request)
    return _health_response(
        json.dumps(report.as_health_json(details=details)).encode(),
        503 if report.status == "fail" else 200,
    )
