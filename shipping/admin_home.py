"""The admin's front page: what needs a person, each a count linking to its list.

Every count is an indexed query on a small set (rows in one state, endpoints,
partners), so the page stays fast however large the tables grow.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from fastship.requestlog.shipper import get_shipper
from shipping.models import DeliveryPartner, Notification, WebhookEndpoint
from shipping.services.notification_recovery import (
    notifications_needing_attention,
    oldest_pending_notification_age,
)

# A pending mail older than this means the worker is behind or stopped.
OLD_PENDING_SECONDS = 300


@dataclass
class Attention:
    """One thing an operator may have to act on."""

    label: str
    value: str
    url: str
    hint: str
    alert: bool  # needs a person now (red), or fine (green)


def _changelist(model: type, query: str = "") -> str:
    meta = model._meta  # type: ignore[attr-defined]
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    return f"{url}?{query}" if query else url


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def attention_items() -> list[Attention]:
    """What the operators' home shows, most urgent kinds first."""
    state = Notification.State
    maybe_sent = notifications_needing_attention().count()
    held = Notification.objects.filter(state=state.HELD).count()
    oldest = oldest_pending_notification_age()
    endpoints = WebhookEndpoint.objects
    failing = endpoints.filter(
        disabled_at__isnull=True, failing_since__isnull=False
    ).count()
    disabled = endpoints.filter(disabled_at__isnull=False).count()
    waiting = DeliveryPartner.objects.filter(approved_at__isnull=True).count()
    shipper = get_shipper().stats()
    lost = int(shipper["dropped"])
    return [
        Attention(
            "Mails that may have gone out",
            f"{maybe_sent:,}",
            _changelist(Notification, "attention=maybe_sent"),
            "A worker stopped after the mail server took the message: "
            "check with the recipient before re-sending.",
            maybe_sent > 0,
        ),
        Attention(
            "Mails held",
            f"{held:,}",
            _changelist(Notification, "state__exact=held"),
            "Over a recipient's hourly limit: release or leave them.",
            held > 0,
        ),
        Attention(
            "Oldest mail waiting",
            _age(oldest) if oldest else "none",
            _changelist(Notification, "state__exact=pending"),
            "Minutes here mean the worker is behind or stopped.",
            oldest > OLD_PENDING_SECONDS,
        ),
        Attention(
            "Webhook endpoints failing",
            f"{failing:,}",
            _changelist(WebhookEndpoint, "failing_since__isnull=False"),
            "Every attempt failed since a time: the seller's receiver is down.",
            failing > 0,
        ),
        Attention(
            "Webhook endpoints disabled",
            f"{disabled:,}",
            _changelist(WebhookEndpoint, "disabled_at__isnull=False"),
            "Disabled after failing too long; the seller was told.",
            disabled > 0,
        ),
        Attention(
            "Partners awaiting approval",
            f"{waiting:,}",
            _changelist(DeliveryPartner, "approved=no"),
            "They get no shipment until approved.",
            waiting > 0,
        ),
        Attention(
            "Request-log records dropped (this server)",
            f"{lost:,}",
            reverse("admin:requestlog_requestlog_changelist"),
            f"The buffer was full. Written to stdout instead: "
            f"{int(shipper['fallbackWritten']):,}.",
            lost > 0,
        ),
    ]
