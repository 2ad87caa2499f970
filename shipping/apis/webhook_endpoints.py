"""Seller integrations: ``/api/v1/webhooks/``, managed by the seller itself."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fastship.api.pagination import (
    PageParameters,
    list_scope,
    page_serializer,
    paged_response,
)
from shipping import selectors
from shipping.apis.common import StrictSerializer, current_user, request_livemode
from shipping.models import Seller, WebhookEndpoint
from shipping.permissions import IsSeller
from shipping.services import webhook_manage, webhooks


def _seller(request: Request) -> Seller:
    return current_user(request).seller


class WebhookOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField()
    events = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    enabled = serializers.BooleanField(source="is_enabled")
    disabled_at = serializers.DateTimeField(
        allow_null=True,
        help_text="Set when the endpoint failed for days, or you disabled it.",
    )


class WebhookSecretSerializer(WebhookOutputSerializer):
    secret = serializers.CharField(
        help_text="The signing secret (whsec_...): shown in this answer only."
    )
    previous_secret_expires_at = serializers.DateTimeField(allow_null=True)


WEBHOOKS = {"GET": "webhooks:manage", "POST": "webhooks:manage"}


def events_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEndpoint.Event.choices),
        allow_empty=False,
        max_length=len(WebhookEndpoint.Event.choices),
        **kwargs,
    )


class WebhookCollectionApi(APIView):
    """GET: your webhook endpoints. POST: register one."""

    permission_classes = [IsAuthenticated, IsSeller]  # noqa: RUF012
    key_scopes = WEBHOOKS

    class InputSerializer(StrictSerializer):
        url = serializers.URLField(max_length=2000)
        events = events_field()

    @extend_schema(
        responses={200: WebhookOutputSerializer(many=True)}, tags=["integrations"]
    )
    def get(self, request: Request) -> Response:
        """Your webhook endpoints, newest first (no secrets)."""
        endpoints = selectors.webhooks_of(seller=_seller(request))
        return Response(WebhookOutputSerializer(endpoints, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: WebhookSecretSerializer},
        tags=["integrations"],
    )
    def post(self, request: Request) -> Response:
        """Register an https endpoint for events; deliveries are signed.

        Signatures follow Standard Webhooks 1.0 (see the README).
        """
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = webhooks.webhook_create(
            seller=_seller(request), **data.validated_data
        )
        return Response(
            WebhookSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )


class WebhookDetailApi(APIView):
    permission_classes = [IsAuthenticated, IsSeller]  # noqa: RUF012
    key_scopes = {"PATCH": "webhooks:manage", "DELETE": "webhooks:manage"}  # noqa: RUF012

    class UpdateSerializer(StrictSerializer):
        url = serializers.URLField(max_length=2000, required=False)
        events = events_field(required=False)
        enabled = serializers.BooleanField(
            required=False,
            help_text="true: deliver again, starting with what was held while "
            "it was disabled; false: hold deliveries.",
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if not attrs:
                raise serializers.ValidationError(
                    "Give at least one field to change.", code="empty"
                )
            return attrs

    @extend_schema(
        request=UpdateSerializer,
        responses={200: WebhookOutputSerializer},
        tags=["integrations"],
    )
    def patch(self, request: Request, webhook_id: UUID) -> Response:
        """Change the URL or events, or enable or disable the endpoint (the
        secret stays)."""
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = webhook_manage.webhook_update(
            seller=_seller(request), webhook_id=webhook_id, **data.validated_data
        )
        return Response(WebhookOutputSerializer(endpoint).data)

    @extend_schema(responses={204: None}, tags=["integrations"])
    def delete(self, request: Request, webhook_id: UUID) -> Response:
        """Remove an endpoint; nothing more is delivered to it."""
        webhooks.webhook_delete(seller=_seller(request), webhook_id=webhook_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretApi(APIView):
    permission_classes = [IsAuthenticated, IsSeller]  # noqa: RUF012
    key_scopes = WEBHOOKS

    @extend_schema(
        request=None, responses={200: WebhookSecretSerializer}, tags=["integrations"]
    )
    def post(self, request: Request, webhook_id: UUID) -> Response:
        """A new signing secret; the old one signs as well for 24 hours."""
        endpoint = webhooks.webhook_rotate_secret(
            seller=_seller(request), webhook_id=webhook_id
        )
        return Response(WebhookSecretSerializer(endpoint).data)


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="message_id", help_text="The webhook-id header.")
    webhook_id = serializers.UUIDField(source="endpoint_id")
    event_type = serializers.CharField()
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    created_at = serializers.DateTimeField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)


DeliveryPageSerializer = page_serializer(
    "DeliveryPageSerializer", DeliveryOutputSerializer, "One page of the delivery log."
)


class WebhookDeliveriesApi(APIView):
    permission_classes = [IsAuthenticated, IsSeller]  # noqa: RUF012
    key_scopes = WEBHOOKS

    @extend_schema(
        parameters=[PageParameters],
        responses={200: DeliveryPageSerializer},
        tags=["integrations"],
    )
    def get(self, request: Request, webhook_id: UUID) -> Response:
        """The endpoint's delivery log, newest first, a page at a time."""
        params = PageParameters(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        deliveries = selectors.webhook_deliveries(
            seller=_seller(request), webhook_id=webhook_id
        )
        return paged_response(
            request,
            deliveries,
            params=params.validated_data,
            scope=list_scope(f"deliveries:{webhook_id}", {}),
            serialize=lambda rows: DeliveryOutputSerializer(rows, many=True).data,
        )


class WebhookTestApi(APIView):
    permission_classes = [IsAuthenticated, IsSeller]  # noqa: RUF012
    key_scopes = WEBHOOKS

    @extend_schema(
        request=None, responses={202: DeliveryOutputSerializer}, tags=["integrations"]
    )
    def post(self, request: Request, webhook_id: UUID) -> Response:
        """Send a signed `webhook.ping` (to a disabled endpoint too); it is in
        the delivery log, where its outcome shows."""
        delivery = webhook_manage.webhook_ping(
            seller=_seller(request),
            webhook_id=webhook_id,
            livemode=request_livemode(request),
        )
        return Response(
            DeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )


class WebhookReplayApi(APIView):
    permission_classes = [IsAuthenticated, IsSeller]  # noqa: RUF012
    key_scopes = WEBHOOKS

    @extend_schema(
        request=None, responses={202: DeliveryOutputSerializer}, tags=["integrations"]
    )
    def post(self, request: Request, webhook_id: UUID, delivery_id: str) -> Response:
        """Send a delivery again now: the same event and `webhook-id` (give
        it, `msg_...`, as the log shows it), one more attempt."""
        found = webhook_manage.webhook_replay(
            seller=_seller(request), webhook_id=webhook_id, message_id=delivery_id
        )
        delivery = selectors.webhook_delivery(delivery_id=found)
        return Response(
            DeliveryOutputSerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )


class WebhookStatsSerializer(serializers.Serializer):
    pending = serializers.IntegerField()
    sending = serializers.IntegerField()
    delivered = serializers.IntegerField()
    failed = serializers.IntegerField()
    held = serializers.IntegerField(
        help_text="Not sent while the endpoint was disabled; sent on enabling it."
    )
    delivered_24h = serializers.IntegerField()
    failed_24h = serializers.IntegerField()
    success_rate_24h = serializers.FloatField(
        allow_null=True, help_text="Delivered of finished, the last 24 hours."
    )
    last_delivered_at = serializers.DateTimeField(allow_null=True)
    last_failed_at = serializers.DateTimeField(allow_null=True)
    failing_since = serializers.DateTimeField(allow_null=True)
    disabled_at = serializers.DateTimeField(allow_null=True)


class WebhookStatsApi(APIView):
    permission_classes = [IsAuthenticated, IsSeller]  # noqa: RUF012
    key_scopes = WEBHOOKS

    @extend_schema(responses={200: WebhookStatsSerializer}, tags=["integrations"])
    def get(self, request: Request, webhook_id: UUID) -> Response:
        """The endpoint's deliveries by state, the last day's success rate,
        its last success and failure (over what retention keeps)."""
        stats = webhook_manage.webhook_stats(
            seller=_seller(request), webhook_id=webhook_id
        )
        return Response(WebhookStatsSerializer(stats).data)
