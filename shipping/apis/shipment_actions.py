"""What is done to one shipment besides reading and moving it: its label (PDF
or ZPL), a partner's scan of it, a test shipment's simulated moves, cancelling
and tagging by its seller."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.status import HTTP_204_NO_CONTENT
from rest_framework.views import APIView

from shipping import selectors
from shipping.apis.common import (
    SHIPMENT_READ,
    SHIPMENT_WRITE,
    StrictSerializer,
    current_user,
    request_livemode,
)
from shipping.apis.shipments import ShipmentDetailApi, shipment_response
from shipping.exceptions import NotFound, TestModeOnly
from shipping.labels import LabelData, label_pdf, label_zpl
from shipping.models import Seller, Shipment
from shipping.permissions import IsPartner, IsSeller, IsSellerOrPartner
from shipping.representations import ShipmentOutputSerializer, tracking_url
from shipping.services import shipments, simulation, tags
from shipping.tracking_codes import canonical_tracking_code

FORMATS = {"pdf": "application/pdf", "zpl": "application/zpl"}


class ShipmentLabelApi(APIView):
    """GET: the shipment's 4x6 in label (owner seller or assigned partner)."""

    permission_classes = [IsAuthenticated, IsSellerOrPartner]  # noqa: RUF012
    key_scopes = SHIPMENT_READ

    class QuerySerializer(serializers.Serializer):
        format = serializers.ChoiceField(
            choices=sorted(FORMATS),
            default="pdf",
            help_text="`pdf` for any printer, `zpl` for a thermal (Zebra) one.",
        )

    @extend_schema(
        parameters=[QuerySerializer],
        responses={
            (200, FORMATS["pdf"]): OpenApiResponse(OpenApiTypes.BINARY),
            (200, FORMATS["zpl"]): OpenApiResponse(OpenApiTypes.STR),
        },
        tags=["shipments"],
    )
    def get(self, request: Request, shipment_id: UUID) -> HttpResponse:
        """The label: sender, recipient, weight, date, and the tracking code
        as a Code 128 barcode and as a QR code of the tracking page."""
        query = self.QuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        kind = query.validated_data["format"]
        row = selectors.shipment_get_for_user(
            user=current_user(request),
            shipment_id=shipment_id,
            tags=False,
            livemode=request_livemode(request),
        )
        seller = Seller.objects.select_related("user").get(pk=row.seller_id)
        label = LabelData.of(row, seller, tracking_url=tracking_url(row.tracking_code))
        if kind == "pdf":
            body: bytes | str = label_pdf(label)
        else:
            body = label_zpl(label)
        response = HttpResponse(body, content_type=FORMATS[kind])
        response["Content-Disposition"] = (
            f'inline; filename="label-{row.tracking_code}.{kind}"'
        )
        response["Cache-Control"] = "private, no-store"  # it holds an address
        return response


class ScanApi(APIView):
    """POST: a partner scans a label; the shipment moves as with PATCH."""

    permission_classes = [IsAuthenticated, IsPartner]  # noqa: RUF012

    class InputSerializer(ShipmentDetailApi.UpdateSerializer):
        code = serializers.CharField(
            max_length=300,
            help_text="What the scanner read: the barcode's tracking code, or "
            "the QR code's tracking-page URL.",
        )

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            attrs.setdefault("status", Shipment.Status.IN_TRANSIT)
            return super().validate(attrs)

    @extend_schema(
        request=InputSerializer,
        responses={200: ShipmentOutputSerializer},
        tags=["shipments"],
    )
    def post(self, request: Request) -> Response:
        """Scan a label: `in_transit` unless `status` says otherwise (a
        delivery needs the recipient's code, as with PATCH)."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        partner = current_user(request).partner
        shipment_id = selectors.shipment_id_for_scan(
            partner_id=partner.pk, tracking_code=scanned_code(fields.pop("code"))
        )
        if shipment_id is None:
            raise NotFound("No shipment of yours has this code.", attr="code")
        shipments.shipment_update(shipment_id=shipment_id, partner=partner, **fields)
        return shipment_response(request, shipment_id)


def scanned_code(scanned: str) -> str:
    """The tracking code in what a scanner read (a code, or a tracking URL)."""
    text = scanned.strip()
    if "/track/" in text:
        text = text.rsplit("/track/", 1)[1].strip("/").split("/")[0]
    return canonical_tracking_code(text) or text


class ShipmentSimulateApi(APIView):
    """POST: move a test shipment as its partner would (test keys only)."""

    permission_classes = [IsAuthenticated, IsSeller]  # noqa: RUF012
    key_scopes = SHIPMENT_WRITE

    @extend_schema(
        request=None,
        responses={200: ShipmentOutputSerializer},
        parameters=[
            OpenApiParameter(
                "status",
                str,
                OpenApiParameter.PATH,
                enum=[s.value for s in Shipment.Status if s != Shipment.Status.PLACED],
            )
        ],
        tags=["shipments"],
    )
    def post(self, request: Request, shipment_id: UUID, status: str) -> Response:
        """Advance a test shipment (`in_transit`, `out_for_delivery`,
        `delivered` without a code, `cancelled`): the timeline, mails (to
        you) and webhooks (`livemode` false) follow, as for a live one."""
        if request_livemode(request):
            raise TestModeOnly()
        if status not in Shipment.Status.values or status == Shipment.Status.PLACED:
            raise ValidationError(
                {"status": ["Not a status a shipment can be moved to."]},
                code="invalid_choice",
            )
        simulation.shipment_simulate(
            shipment_id=shipment_id, seller=current_user(request).seller, status=status
        )
        return shipment_response(request, shipment_id)


class ShipmentCancelApi(APIView):
    permission_classes = [IsAuthenticated, IsSeller]  # noqa: RUF012
    key_scopes = SHIPMENT_WRITE

    @extend_schema(
        request=None, responses={200: ShipmentOutputSerializer}, tags=["shipments"]
    )
    def post(self, request: Request, shipment_id: str) -> Response:
        """Cancel a placed or in-transit shipment (owner seller)."""
        shipments.shipment_cancel(
            shipment_id=shipment_id,
            seller=current_user(request).seller,
            livemode=request_livemode(request),
        )
        return shipment_response(request, shipment_id)


class ShipmentTagAddApi(APIView):
    permission_classes = [IsAuthenticated, IsSeller]  # noqa: RUF012
    key_scopes = SHIPMENT_WRITE

    class InputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=32)

    @extend_schema(
        request=InputSerializer,
        responses={200: ShipmentOutputSerializer},
        tags=["shipments"],
    )
    def post(self, request: Request, shipment_id: str) -> Response:
        """Add a handling tag (owner seller)."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tags.shipment_tag_add(
            shipment_id=shipment_id,
            seller=current_user(request).seller,
            name=data.validated_data["name"],
            livemode=request_livemode(request),
        )
        return shipment_response(request, shipment_id)


class ShipmentTagRemoveApi(APIView):
    permission_classes = [IsAuthenticated, IsSeller]  # noqa: RUF012
    key_scopes = SHIPMENT_WRITE

    @extend_schema(responses={204: None}, tags=["shipments"])
    def delete(self, request: Request, shipment_id: str, name: str) -> Response:
        """Remove a handling tag (owner seller)."""
        tags.shipment_tag_remove(
            shipment_id=shipment_id,
            seller=current_user(request).seller,
            name=name,
            livemode=request_livemode(request),
        )
        return Response(status=HTTP_204_NO_CONTENT)
