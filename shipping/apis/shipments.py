"""Shipments for sellers and partners: list, create, detail, update, cancel, tags."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
)
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fastship.api.pagination import (
    PAGING,
    PageParameters,
    list_scope,
    paged_response,
)
from shipping import selectors
from shipping.apis.common import (
    SHIPMENT_READ,
    SHIPMENT_WRITE,
    StrictSerializer,
    current_user,
    request_livemode,
    zip_code_field,
)
from shipping.apis.outputs import ShipmentPageSerializer
from shipping.apis.shipment_fields import MetadataField, line_field
from shipping.models import E164, Shipment
from shipping.permissions import IsPartner, IsSeller, IsSellerOrPartner
from shipping.representations import ShipmentOutputSerializer
from shipping.services import creation, shipments
from shipping.services.idempotency import (
    IdempotencyKey,
    key_in_mode,
    request_fingerprint,
)
from shipping.throttles import ShipmentCreateThrottle

IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


def _seller_of(request: Request) -> Any:
    return current_user(request).seller


def _partner_of(request: Request) -> Any:
    return current_user(request).partner


def shipment_response(request: Request, shipment_id: Any) -> Response:
    """Answer with the shipment as the caller may see it, freshly read."""
    shipment = selectors.shipment_get_for_user(
        user=current_user(request),
        shipment_id=shipment_id,
        livemode=request_livemode(request),
    )
    return Response(ShipmentOutputSerializer(shipment).data)


class ShipmentCollectionApi(APIView):
    """GET: your shipments (sellers: own; partners: assigned). POST: a seller ships."""

    permission_classes = [IsAuthenticated, IsSellerOrPartner]  # noqa: RUF012
    key_scopes = SHIPMENT_READ | SHIPMENT_WRITE

    class FilterSerializer(PageParameters):
        status = serializers.ChoiceField(
            choices=Shipment.Status.choices, required=False
        )
        tag = serializers.CharField(max_length=32, required=False)
        created_after = serializers.DateTimeField(
            required=False, help_text="Only shipments created after this instant."
        )
        created_before = serializers.DateTimeField(
            required=False, help_text="Only shipments created before this instant."
        )
        updated_since = serializers.DateTimeField(
            required=False,
            help_text="Only shipments changed at or after this instant, in the "
            "order they changed (oldest change first): poll with the time of "
            "your last sync and follow `next`.",
        )

    class InputSerializer(StrictSerializer):
        content = serializers.CharField(min_length=1, max_length=500)
        weight_kg = serializers.DecimalField(
            max_digits=5,
            decimal_places=2,
            min_value=Decimal("0.01"),
            max_value=Decimal(25),
            coerce_to_string=False,
        )
        destination_zip_code = zip_code_field()
        recipient_email = serializers.EmailField(max_length=254)
        recipient_phone = serializers.CharField(
            max_length=16, required=False, allow_blank=True, validators=[E164]
        )
        recipient_name = line_field(100)
        recipient_address_line1 = line_field(200)
        recipient_address_line2 = line_field(200)
        reference = serializers.RegexField(
            r"^[\x21-\x7e]{1,100}$",
            required=False,
            help_text="Your own id (an order number): one shipment per "
            "reference; a repeat of the create answers that shipment.",
            error_messages={"invalid": "Use 1 to 100 visible ASCII characters."},
        )
        metadata = MetadataField(
            required=False,
            help_text="Your own string pairs, returned as given: at most 20 "
            "keys (letters, digits, `_ . : -`, 40 characters), 4096 bytes.",
        )
        tags = serializers.ListField(
            child=serializers.CharField(max_length=32), required=False, max_length=10
        )

    def get_permissions(self) -> list[Any]:
        if self.request.method == "POST":
            return [IsAuthenticated(), IsSeller()]
        return list(super().get_permissions())

    def get_throttles(self) -> list[Any]:
        if self.request.method == "POST":
            return [ShipmentCreateThrottle()]
        return list(super().get_throttles())

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: ShipmentPageSerializer},
        operation_id="api_v1_shipments_list",
        tags=["shipments"],
    )
    def get(self, request: Request) -> Response:
        """List shipments, newest first, a page at a time (follow `next`).

        Filter by status, tag and creation time; with `updated_since`, the
        shipments changed since then, in the order they changed.
        """
        # A plain dict: DRF reads a QueryDict like a form, where "?tag=" counts
        # as absent; here a blank filter is refused, as the schema says.
        filters = self.FilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        user = current_user(request)
        livemode = request_livemode(request)
        shipments_of_user = selectors.shipment_list_for_user(
            user=user,
            livemode=livemode,
            **{key: wanted[key] for key in wanted if key not in PAGING},
        )
        return paged_response(
            request,
            shipments_of_user,
            params=wanted,
            # A test list's cursors are its own (a live one's stay as before).
            scope=list_scope(
                f"shipments:{user.role}{'' if livemode else ':test'}", wanted
            ),
            serialize=lambda rows: ShipmentOutputSerializer(rows, many=True).data,
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: ShipmentOutputSerializer},
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                description="Repeat-safe create: same key and body answer once (24 h).",
            )
        ],
        tags=["shipments"],
    )
    def post(self, request: Request) -> Response:
        """Create a shipment; a delivery partner is assigned and the recipient told.

        With a test key (`fsk_test_...`) the shipment is a test one: no
        partner capacity is taken, the mails go to you marked as tests, and
        webhooks say `"livemode": false`.
        """
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key")
        if key is not None and not IDEMPOTENCY_KEY.match(key):
            raise ValidationError(
                {"Idempotency-Key": ["Use 1 to 255 visible ASCII characters."]},
                code="invalid",
            )
        livemode = request_livemode(request)
        created = creation.shipment_create_answer(
            seller=_seller_of(request),
            idempotency=(
                None
                if key is None
                else IdempotencyKey(
                    key_in_mode(key, livemode=livemode),
                    request_fingerprint(request.data),
                )
            ),
            livemode=livemode,
            **data.validated_data,
        )
        return Response(created.body, status=created.status)


class ShipmentDetailApi(APIView):
    """GET: the owner seller or the assigned partner. PATCH: the assigned partner."""

    permission_classes = [IsAuthenticated, IsSellerOrPartner]  # noqa: RUF012
    key_scopes = SHIPMENT_READ

    class UpdateSerializer(StrictSerializer):
        # Every real status: one outside the transition table is a 409
        # invalid_transition from the service, not a 400 invalid_choice.
        status = serializers.ChoiceField(
            choices=Shipment.Status.choices, required=False
        )
        location_zip_code = zip_code_field(required=False)
        description = serializers.CharField(
            max_length=300, required=False, allow_blank=True
        )
        estimated_delivery = serializers.DateTimeField(required=False)
        verification_code = serializers.RegexField(r"^\d{6}$", required=False)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            if not attrs:
                raise ValidationError(
                    "Give at least one field to change.", code="empty"
                )
            if attrs.get("status") == Shipment.Status.DELIVERED and not attrs.get(
                "verification_code"
            ):
                raise ValidationError(
                    {
                        "verification_code": [
                            "The recipient's code is required to deliver."
                        ]
                    },
                    code="required",
                )
            return attrs

    def get_permissions(self) -> list[Any]:
        if self.request.method == "PATCH":
            return [IsAuthenticated(), IsPartner()]
        return list(super().get_permissions())

    @extend_schema(responses={200: ShipmentOutputSerializer}, tags=["shipments"])
    def get(self, request: Request, shipment_id: str) -> Response:
        """One shipment."""
        return shipment_response(request, shipment_id)

    @extend_schema(
        request=UpdateSerializer,
        responses={200: ShipmentOutputSerializer},
        tags=["shipments"],
    )
    def patch(self, request: Request, shipment_id: str) -> Response:
        """Move the shipment along (see the transition table), scan, or re-estimate."""
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shipments.shipment_update(
            shipment_id=shipment_id, partner=_partner_of(request), **data.validated_data
        )
        return shipment_response(request, shipment_id)
