"""Readiness check of the request-log shipper: counters and breaker state."""

from __future__ import annotations

from django.conf import settings

from fastship.requestlog.shipper import get_shipper
from healthcheck.readiness import CheckError, CheckResult, ReadinessCheck


class RequestLogShipperCheck(ReadinessCheck):
    """Warn while the breaker is open or when records were dropped recently."""

    name = "requestlog:shipper"
    component_type = "component"
    failure_status = "warn"

    def measure(self) -> CheckResult:
        stats = get_shipper().stats()
        problems = []
        if stats["breaker"] != "closed":
            problems.append(f"breaker {stats['breaker']} ({stats['lastError']})")
        since_drop = stats["secondsSinceLastDrop"]
        if (
            since_drop is not None
            and since_drop < settings.REQUEST_LOG_DROP_WARN_SECONDS
        ):
            problems.append(f"records dropped {since_drop:.0f}s ago")
        if problems:
            raise CheckError(
                "; ".join(problems), observed_value=stats, observed_unit="records"
            )
        return CheckResult("pass", stats, "records")
