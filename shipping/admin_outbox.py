"""The mail outbox in the admin: what was sent, what waits, what needs a person."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest

from fastship.admin_paging import LargeTableAdmin
from shipping.models import Notification


@admin.register(Notification)
class NotificationAdmin(LargeTableAdmin):
    """The outbox, read-only: what was sent, what is pending, what needs a person.

    A row left ``sending`` past its lease may or may not have been delivered;
    the only way it is sent again is the "re-send" action below.
    """

    list_display = (
        "kind",
        "recipient",
        "state",
        "attempts",
        "last_error",
        "created_at",
        "claimed_at",
        "sent_at",
    )
    list_filter = ("state", "kind")
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

    @admin.action(description="Re-send selected 'sending' mails (may duplicate one)")
    def resend(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        from shipping.services.notifications import notifications_resend

        count = notifications_resend(
            notification_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(
            request,
            f"{count} mail(s) handed over again; rows not 'sending' were left alone.",
        )

    @admin.action(description="Send selected 'held' mails (over a recipient's limit)")
    def release(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        from shipping.services.notifications import notifications_release

        count = notifications_release(
            notification_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(
            request, f"{count} held mail(s) handed over; other rows were left alone."
        )
