"""The admin home's charts: the last 14 days, per day, drawn as SVG on the server.

No script and no library: each chart is a few ``<rect>`` elements the
template writes (the admin's CSP stays as it is). Every count is one grouped
query over an index on its time column, bounded to the 14 days:

- shipments created (``shipment_created_idx``) and delivered (the delivered
  events, ``event_delivered_idx``, partial: only those rows);
- mails sent and not (yet) sent (``notification_pending_idx`` on state, time);
- webhook deliveries delivered and failed (``webhook_created_idx``);
- API answers 5xx (``requestlog_status_idx`` on status, time).

The figures are kept for a minute in the cache, so a busy admin home does not
count again on every load; when the cache is out they are counted directly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from fastship.requestlog.models import RequestLog
from shipping.models import Notification, Shipment, ShipmentEvent, WebhookDelivery

logger = logging.getLogger(__name__)

DAYS = 14
CACHE_KEY = "admin-home-charts:v1"
CACHE_SECONDS = 60
# The drawing: one group of bars per day in a 640 by 160 viewBox.
WIDTH, HEIGHT, AXIS = 640, 160, 18


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass
class Chart:
    title: str
    series: list[tuple[str, str]]  # (label, css class)
    days: list[date]
    counts: list[list[int]]  # per series, per day
    empty_note: str

    @property
    def peak(self) -> int:
        return max((max(values, default=0) for values in self.counts), default=0)

    @property
    def totals(self) -> list[tuple[str, str, int]]:
        return [
            (label, css, sum(values))
            for (label, css), values in zip(self.series, self.counts, strict=True)
        ]

    @property
    def summary(self) -> str:
        """The chart in words, for a screen reader (the SVG's label)."""
        parts = ", ".join(f"{label} {total:,}" for label, _, total in self.totals)
        return f"{self.title}, last {DAYS} days: {parts}."

    def bars(self) -> list[Bar]:
        peak = self.peak or 1
        group = WIDTH / len(self.days)
        width = (group * 0.8) / len(self.series)
        plot = HEIGHT - AXIS
        bars = []
        for s, ((label, css), values) in enumerate(
            zip(self.series, self.counts, strict=True)
        ):
            for d, value in enumerate(values):
                height = plot * value / peak
                bars.append(
                    Bar(
                        x=round(d * group + group * 0.1 + s * width, 1),
                        y=round(plot - height, 1),
                        width=round(width - 1, 1),
                        height=round(height, 1),
                        css=css,
                        title=f"{self.days[d]:%a %d %b}: {value:,} {label.lower()}",
                    )
                )
        return bars

    def labels(self) -> list[tuple[float, str]]:
        """Every other day's date under the bars, the latest always."""
        group = WIDTH / len(self.days)
        last = len(self.days) - 1
        return [
            (round(d * group + group / 2, 1), f"{day:%d %b}")
            for d, day in enumerate(self.days)
            if (last - d) % 2 == 0
        ]


def _per_day(rows: QuerySet[Any], field: str, days: list[date]) -> list[int]:
    counted = (
        rows.annotate(day=TruncDate(field, tzinfo=UTC))
        .values("day")
        .annotate(n=Count("*"))
        .order_by()
    )
    by_day = {row["day"]: row["n"] for row in counted}
    return [by_day.get(day, 0) for day in days]


def _count(days: list[date]) -> dict[str, list[int]]:
    since = datetime.combine(days[0], datetime.min.time(), tzinfo=UTC)
    mail = Notification.objects.filter(created_at__gte=since)
    hooks = WebhookDelivery.objects.filter(created_at__gte=since)
    mail_state, hook_state = Notification.State, WebhookDelivery.State
    return {
        "created": _per_day(
            Shipment.objects.filter(created_at__gte=since), "created_at", days
        ),
        "delivered": _per_day(
            ShipmentEvent.objects.filter(
                status=Shipment.Status.DELIVERED, created_at__gte=since
            ),
            "created_at",
            days,
        ),
        "mail_sent": _per_day(mail.filter(state=mail_state.SENT), "created_at", days),
        "mail_waiting": _per_day(
            mail.filter(
                state__in=[mail_state.PENDING, mail_state.SENDING, mail_state.HELD]
            ),
            "created_at",
            days,
        ),
        "hook_ok": _per_day(
            hooks.filter(state=hook_state.DELIVERED), "created_at", days
        ),
        "hook_failed": _per_day(
            hooks.filter(state=hook_state.FAILED), "created_at", days
        ),
        "server_errors": _per_day(
            RequestLog.objects.filter(status_code__gte=500, started_at__gte=since),
            "started_at",
            days,
        ),
    }


def _counts(days: list[date]) -> dict[str, list[int]]:
    key = f"{CACHE_KEY}:{days[-1].isoformat()}"
    try:
        kept = cache.get(key)
    except Exception:  # the cache is out: count directly, say so once
        logger.warning("admin charts: cache unavailable, counting directly")
        return _count(days)
    if kept is not None:
        return kept
    counts = _count(days)
    try:
        cache.set(key, counts, CACHE_SECONDS)
    except Exception:
        logger.warning("admin charts: cache unavailable, figures not kept")
    return counts


def admin_charts() -> list[Chart]:
    """The last 14 days (UTC, today included) as the admin home draws them."""
    today = timezone.now().astimezone(UTC).date()
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    counts = _counts(days)
    return [
        Chart(
            "Shipments",
            [("Created", "created"), ("Delivered", "delivered")],
            days,
            [counts["created"], counts["delivered"]],
            "No shipment was created or delivered in these days.",
        ),
        Chart(
            "Mails",
            [("Sent", "ok"), ("Not sent yet (waiting or held)", "waiting")],
            days,
            [counts["mail_sent"], counts["mail_waiting"]],
            "No mail was sent in these days.",
        ),
        Chart(
            "Webhook deliveries",
            [("Delivered", "ok"), ("Failed", "failed")],
            days,
            [counts["hook_ok"], counts["hook_failed"]],
            "No webhook was delivered in these days.",
        ),
        Chart(
            "API server errors (5xx)",
            [("Errors", "failed")],
            days,
            [counts["server_errors"]],
            "No request was answered with a server error in these days.",
        ),
    ]
