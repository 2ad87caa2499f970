"""Seller integrations: ``/api/v1/api-keys/`` (webhooks: ``webhook_endpoints``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.utils import timezone
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
from shipping.models import SCOPES, Seller
from shipping.permissions import IsSeller, LoginsOnly
from shipping.services import api_keys

MAX_KEY_LIFETIME = timedelta(days=731)


def _seller(request: Request) -> Seller:
    return current_user(request).seller


class ApiKeyOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField(
        source="shown_prefix", help_text="How the key begins (`fsk_live_...`)."
    )
    livemode = serializers.BooleanField(help_text="False for a test key.")
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(SCOPES)), source="scope_list"
    )
    expires_at = serializers.DateTimeField(allow_null=True)
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
    key_scopes = {"GET": "account:read"}  # noqa: RUF012

    class InputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=100)
        mode = serializers.ChoiceField(
            choices=["live", "test"],
            default="live",
            help_text="`test`: a key (`fsk_test_...`) that sees and makes test "
            "shipments only.",
        )
        scopes = serializers.ListField(
            child=serializers.ChoiceField(choices=sorted(SCOPES)),
            required=False,
            allow_empty=False,
            max_length=len(SCOPES),
            help_text="What the key may do; all scopes when left out. "
            + " ".join(f"`{name}`: {what}" for name, what in SCOPES.items()),
        )
        expires_at = serializers.DateTimeField(
            required=False,
            help_text="When the key stops working (at most 2 years ahead).",
        )

        def validate_expires_at(self, value: datetime) -> datetime:
            now = timezone.now()
            if value <= now:
                raise serializers.ValidationError("Give a time in the future.")
            if value > now + MAX_KEY_LIFETIME:
                raise serializers.ValidationError("At most 2 years ahead.")
            return value

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
        wanted = data.validated_data
        api_key, key = api_keys.api_key_create(
            seller=_seller(request),
            name=wanted["name"],
            livemode=wanted["mode"] == "live",
            scopes=wanted.get("scopes"),
            expires_at=wanted.get("expires_at"),
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
    key_scopes = {"DELETE": "account:write"}  # noqa: RUF012

    @extend_schema(responses={204: None}, tags=["integrations"])
    def delete(self, request: Request, key_id: UUID) -> Response:
        """Revoke a key: it stops working at once."""
        api_keys.api_key_revoke(seller=_seller(request), key_id=key_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
