"""Seller integrations: ``/api/v1/api-keys/`` and ``/api/v1/webhooks/``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drf_spectacular.utils import (
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
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
    paging_asked,
    whole_list_response,
)
from shipping import selectors
from shipping.apis.common import StrictSerializer, current_user
from shipping.models import Seller, WebhookEndpoint
from shipping.permissions import IsSeller, LoginsOnly
from shipping.services import api_keys, webhooks


def _seller(request: Request) -> Seller:
    return current_user(request).seller


class ApiKeyOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)


class NewApiKeySerializer(ApiKeyOutputSerializer):
    key = serializers.CharField(help_text="The whole key: shown in this answer only.")


ApiKeyPageSerializer = page_serializer(
    "ApiKeyPageSerializer", ApiKeyOutputSerializer, "One page of API keys."
)
# The key list answered a bare array before it had pages (one more release).
API_KEYS_ANSWER = PolymorphicProxySerializer(
    component_name="ApiKeyPageOrArray",
    serializers=[ApiKeyPageSerializer, ApiKeyOutputSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)


KEYS_REVOKED = inline_serializer("KeysRevoked", {"revoked": serializers.IntegerField()})


class ApiKeyCollectionApi(APIView):
    """GET: your live API keys (no secrets). POST: a new key (a login only)."""

    permission_classes = [IsAuthenticated, IsSeller, LoginsOnly]  # noqa: RUF012
    logins_only = frozenset({"POST", "DELETE"})  # a key never makes or ends keys

    class InputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=100)

    @extend_schema(
        parameters=[PageParameters],
        responses={200: API_KEYS_ANSWER},
        tags=["integrations"],
    )
    def get(self, request: Request) -> Response:
        """Your API keys that still work, newest first, a page at a time.

        Without `page_size` or `cursor` the answer is the bare array of
        before, deprecated (`Deprecation` header) until 2027-03-01.
        """
        params = PageParameters(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        keys = selectors.api_keys_of(seller=_seller(request))

        def serialize(rows: list[Any]) -> Any:
            return ApiKeyOutputSerializer(rows, many=True).data

        if not paging_asked(params.validated_data):
            return whole_list_response(keys, serialize=serialize)
        return paged_response(
            request,
            keys,
            params=params.validated_data,
            scope=list_scope("api-keys", {}),
            serialize=serialize,
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: NewApiKeySerializer},
        tags=["integrations"],
    )
    def post(self, request: Request) -> Response:
        """Create a key; authenticate with ``Authorization: Api-Key <key>``.

        Only a login (a bearer token) may create keys, never another key.
        """
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        api_key, key = api_keys.api_key_create(
            seller=_seller(request), name=data.validated_data["name"]
        )
        api_key.key = key  # type: ignore[attr-defined]
        return Response(
            NewApiKeySerializer(api_key).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "KeysRevoked", {"revoked": serializers.IntegerField()}
            )
        },
        operation_id="api_v1_api_keys_revoke_all",
        tags=["integrations"],
    )
    def delete(self, request: Request) -> Response:
        """Revoke every key at once (a key that leaked, a contractor gone).

        Only a login may do it, never a key. A password reset does it too.
        """
        revoked = api_keys.api_keys_revoke_all(user=current_user(request))
        return Response({"revoked": revoked})


class ApiKeyDetailApi(APIView):
    permission_classes = [IsAuthenticated, IsSeller]  # noqa: RUF012

    @extend_schema(responses={204: None}, tags=["integrations"])
    def delete(self, request: Request, key_id: UUID) -> Response:
        """Revoke a key: it stops working at once."""
        api_keys.api_key_revoke(seller=_seller(request), key_id=key_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField()
    events = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    disabled_at = serializers.DateTimeField(
        allow_null=True, help_text="Set when the endpoint failed for days."
    )


class WebhookSecretSerializer(WebhookOutputSerializer):
    secret = serializers.CharField(
        help_text="The signing secret (whsec_...): shown in this answer only."
    )
    previous_secret_expires_at = serializers.DateTimeField(allow_null=True)


class WebhookCollectionApi(APIView):
    """GET: your webhook endpoints. POST: register one."""

    permission_classes = [IsAuthenticated, IsSeller]  # noqa: RUF012

    class InputSerializer(StrictSerializer):
        url = serializers.URLField(max_length=2000)
        events = serializers.ListField(
            child=serializers.ChoiceField(choices=WebhookEndpoint.Event.choices),
            allow_empty=False,
            max_length=len(WebhookEndpoint.Event.choices),
        )

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

    @extend_schema(responses={204: None}, tags=["integrations"])
    def delete(self, request: Request, webhook_id: UUID) -> Response:
        """Remove an endpoint; nothing more is delivered to it."""
        webhooks.webhook_delete(seller=_seller(request), webhook_id=webhook_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateSecretApi(APIView):
    permission_classes = [IsAuthenticated, IsSeller]  # noqa: RUF012

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
