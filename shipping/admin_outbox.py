"""The mail outbox in the admin: what was sent, what waits, what needs a person."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest

from fastship.admin_paging import LargeTableAdmin
from shipping.models import Notification

SENDING_PROGRESS = {
    Notification.SendStage.CLAIMED: "claimed, not sent (retried by itself)",
    Notification.SendStage.CONNECTED: "connected, not sent (retried by itself)",
    Notification.SendStage.DATA_SENT: "MAYBE SENT: message out, no reply",
    "": "MAYBE SENT: progress unknown",
}


class NeedsAttentionFilter(admin.SimpleListFilter):
    """Rows past their lease whose message may have gone out."""

    title = "needs a person"
    parameter_name = "attention"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("maybe_sent", "Maybe sent (re-send may duplicate)")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[Notification]
    ) -> QuerySet[Notification]:
        if self.value() != "maybe_sent":
            return queryset
        from shipping.services.notification_recovery import (
            notifications_needing_attention,
        )

        return queryset.filter(pk__in=notifications_needing_attention().values("pk"))


@admin.register(Notification)
class NotificationAdmin(LargeTableAdmin):
    """The outbox, read-only: what was sent, what is pending, what needs a person.

    A row left ``sending`` past its lease at stage ``claimed`` or
    ``connected`` never gave the mail server its message: the relay sends it
    again by itself. One at ``data_sent`` (or with no stage, from an earlier
    release) may or may not have been delivered: the "Needs a person" filter
    lists those, and the only way one is sent again is the "re-send" action
    below, which may deliver it twice.
    """

    list_display = (
        "kind",
        "recipient",
        "state",
        "progress",
        "attempts",
        "last_error",
        "created_at",
        "claimed_at",
        "sent_at",
    )
    list_filter = (NeedsAttentionFilter, "state", "kind")
    actions = ("resend", "release")
    search_fields = ("recipient",)  # exact, on the recipient index
    search_help_text = "A recipient's email address."
    exclude = ("context",)  # may hold a delivery code until sent

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Notification], search_term: str
    ) -> tuple[QuerySet[Notification], bool]:
        term = search_term.strip().lower()
        if not term:
            return queryset, False
        return queryset.alias(address=Lower("recipient")).filter(address=term), False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields if f.name != "context"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="progress")
    def progress(self, obj: Notification) -> str:
        """How far the attempt in hand got, in words an operator can act on."""
        if obj.state != Notification.State.SENDING:
            return ""
        return SENDING_PROGRESS.get(obj.send_stage, SENDING_PROGRESS[""])

    @admin.action(
        description="Re-send selected 'sending' mails (MAYBE SENT: may arrive twice)"
    )
    def resend(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        from shipping.services.notification_recovery import notifications_resend

        count = notifications_resend(
            notification_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(
            request,
            f"{count} mail(s) handed over again; rows not 'sending' were left "
            "alone. A mail marked MAYBE SENT may reach its recipient twice.",
            level=messages.WARNING,
        )

    @admin.action(description="Send selected 'held' mails (over a recipient's limit)")
    def release(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        from shipping.services.notification_recovery import notifications_release

        count = notifications_release(
            notification_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(
            request, f"{count} held mail(s) handed over; other rows were left alone."
        )
