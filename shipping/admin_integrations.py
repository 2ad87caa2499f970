"""Admin for seller integrations: API keys, webhooks and deliveries, read-only."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from fastship.admin_paging import LargeTableAdmin
from shipping.models import ApiKey, WebhookDelivery, WebhookEndpoint


class ReadOnlyAdmin(admin.ModelAdmin):
    """Operators look; sellers change these through the API."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = (
        "prefix",
        "name",
        "seller",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "name", "seller__user__email")
    exclude = ("hashed_key",)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ("url", "seller", "created_at", "failing_since", "disabled_at")
    list_filter = ("disabled_at", "failing_since")
    search_fields = ("url", "seller__user__email")
    exclude = ("secret", "previous_secret")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(LargeTableAdmin, ReadOnlyAdmin):
    list_display = (
        "event_type",
        "endpoint",
        "state",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    )
    list_filter = ("state", "event_type")
    search_fields = ("id",)  # exact (get_search_results)
    search_help_text = "A webhook-id (msg_…), a delivery id or an endpoint id."
    list_select_related = ("endpoint",)

    def get_search_results(
        self,
        request: HttpRequest,
        queryset: QuerySet[WebhookDelivery],
        search_term: str,
    ) -> tuple[QuerySet[WebhookDelivery], bool]:
        term = search_term.strip().removeprefix("msg_")
        if not term:
            return queryset, False
        try:
            key = uuid.UUID(term)
        except ValueError:
            return queryset.none(), False
        return queryset.filter(Q(pk=key) | Q(endpoint_id=key)), False

    actions = ("redeliver",)

    @admin.action(description="Re-deliver selected events now")
    def redeliver(
        self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]
    ) -> None:
        from shipping.services.webhook_delivery import deliveries_redeliver

        count = deliveries_redeliver(
            delivery_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(
            request,
            f"{count} delivery(ies) handed over; ones being sent were left alone.",
        )
