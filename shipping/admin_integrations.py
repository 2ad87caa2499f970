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
        "livemode",
        "scopes",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("livemode", "revoked_at")
    search_fields = ("prefix", "name", "seller__user__email")
    exclude = ("hashed_key",)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    """What the seller sees of an endpoint (``GET /webhooks/{id}/stats/``),
    and what it may do: a test ping, enabling it again."""

    list_display = ("url", "seller", "created_at", "failing_since", "disabled_at")
    list_filter = ("disabled_at", "failing_since")
    search_fields = ("url", "seller__user__email")
    exclude = ("secret", "previous_secret")
    readonly_fields = ("delivery_statistics",)
    actions = ("send_test_ping", "enable_again")

    @admin.display(description="Deliveries (as retention keeps them)")
    def delivery_statistics(self, endpoint: WebhookEndpoint) -> str:
        from shipping.services.webhook_manage import webhook_stats

        stats = webhook_stats(webhook_id=endpoint.pk)
        rate = stats.success_rate_24h
        return (
            f"{stats.delivered} delivered, {stats.failed} failed, "
            f"{stats.pending + stats.sending} waiting, {stats.held} held while "
            f"disabled; last 24 h: {stats.delivered_24h} delivered, "
            f"{stats.failed_24h} failed"
            + ("" if rate is None else f" ({rate:.0%} success)")
            + f"; last delivered {stats.last_delivered_at or 'never'}, "
            f"last failed {stats.last_failed_at or 'never'}."
        )

    @admin.action(description="Send a test ping to the selected endpoints")
    def send_test_ping(
        self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]
    ) -> None:
        from shipping.services.webhook_manage import webhook_ping

        for endpoint in queryset.select_related("seller"):
            webhook_ping(seller=endpoint.seller, webhook_id=endpoint.pk)
        self.message_user(
            request, f"{queryset.count()} ping(s) sent; see their deliveries."
        )

    @admin.action(description="Enable again (and send what was held)")
    def enable_again(
        self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]
    ) -> None:
        from shipping.services.webhook_manage import webhook_update

        disabled = queryset.filter(disabled_at__isnull=False).select_related("seller")
        count = 0
        for endpoint in disabled:
            webhook_update(seller=endpoint.seller, webhook_id=endpoint.pk, enabled=True)
            count += 1
        self.message_user(request, f"{count} endpoint(s) enabled again.")


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
