"""What anyone may call: tags, public tracking (no personal data), reviews."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from shipping import selectors
from shipping.apis.common import PublicApi, StrictSerializer
from shipping.representations import EventOutputSerializer, event_data, timestamp
from shipping.selectors import TrackingRow
from shipping.services.reviews import review_create
from shipping.throttles import VerificationClientThrottle


class TagListApi(PublicApi):
    class OutputSerializer(serializers.Serializer):
        name = serializers.CharField()
        instruction = serializers.CharField()

    @extend_schema(responses={200: OutputSerializer(many=True)}, tags=["public"])
    def get(self, request: Request) -> Response:
        """Every handling tag with its instruction."""
        return Response(self.OutputSerializer(selectors.tag_list(), many=True).data)


class TrackingOutputSerializer(serializers.Serializer):
    """The public view of a shipment: no recipient, no seller."""

    tracking_code = serializers.CharField()
    status = serializers.CharField()
    estimated_delivery = serializers.DateTimeField(allow_null=True)
    delivery_partner = serializers.CharField(source="partner_name")
    timeline = EventOutputSerializer(many=True, source="events")

    def to_representation(self, shipment: TrackingRow) -> dict[str, Any]:
        """The fields above, built directly (as the shipment serializer is)."""
        zone = timezone.get_current_timezone()
        return {
            "tracking_code": shipment.tracking_code,
            "status": shipment.status,
            "estimated_delivery": (
                None
                if shipment.estimated_delivery is None
                else timestamp(shipment.estimated_delivery, zone)
            ),
            "delivery_partner": shipment.partner_name,
            "timeline": [event_data(event, zone) for event in shipment.events],
        }


class TrackingApi(PublicApi):
    @extend_schema(responses={200: TrackingOutputSerializer}, tags=["public"])
    def get(self, request: Request, tracking_code: str) -> Response:
        """Track a shipment by its tracking code."""
        shipment = selectors.shipment_get_by_tracking_code(tracking_code=tracking_code)
        return Response(TrackingOutputSerializer(shipment).data)


class ReviewCreateApi(PublicApi):
    throttle_classes = [VerificationClientThrottle]  # noqa: RUF012

    class InputSerializer(StrictSerializer):
        token = serializers.CharField(max_length=500)
        rating = serializers.IntegerField(min_value=1, max_value=5)
        comment = serializers.CharField(
            max_length=2000, required=False, allow_blank=True
        )

    class OutputSerializer(serializers.Serializer):
        rating = serializers.IntegerField()
        comment = serializers.CharField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        request=InputSerializer, responses={201: OutputSerializer}, tags=["public"]
    )
    def post(self, request: Request) -> Response:
        """Review a delivery with the token from the delivered email (once)."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = review_create(**data.validated_data)
        return Response(
            self.OutputSerializer(review).data, status=status.HTTP_201_CREATED
        )
