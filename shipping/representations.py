"""How a shipment and its timeline look to the people they are shown to.

One home for the representation the API answers with, public tracking shows
and a webhook sends (services may import it; they never import ``apis/``).
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from django.conf import settings
from django.utils import timezone
from rest_framework import serializers

from shipping.models import Shipment


def tracking_url(tracking_code: str) -> str:
    """The public tracking page of a shipment (what its QR code holds)."""
    return f"{settings.PUBLIC_BASE_URL}/track/{tracking_code}/"


# The field object that formats a weight, shared (stateless).
_WEIGHT = serializers.DecimalField(max_digits=5, decimal_places=2)


def timestamp(value: datetime, zone: tzinfo) -> str:
    """An aware time as DRF's DateTimeField writes it: ISO 8601 in the current
    time zone ``zone``, UTC as ``Z`` (its field machinery cost 8 % of a list)."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class _ShipmentListSerializer(serializers.ListSerializer):
    """Shipments in a list, the time zone looked up once for them all."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        zone = timezone.get_current_timezone()
        return [self.child.to_representation(item, zone) for item in data]  # type: ignore[union-attr,call-arg]


class ShipmentOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    tracking_code = serializers.CharField()
    status = serializers.ChoiceField(choices=Shipment.Status.choices)
    content = serializers.CharField()
    weight_kg = serializers.DecimalField(max_digits=5, decimal_places=2)
    destination_zip_code = serializers.CharField()
    recipient_email = serializers.EmailField()
    recipient_phone = serializers.CharField()
    recipient_name = serializers.CharField()
    recipient_address_line1 = serializers.CharField()
    recipient_address_line2 = serializers.CharField()
    reference = serializers.CharField(help_text="Your own id for it, as you gave it.")
    metadata = serializers.DictField(child=serializers.CharField())
    livemode = serializers.BooleanField(help_text="False for a test key's shipment.")
    tracking_url = serializers.SerializerMethodField(
        help_text="The public tracking page (no recipient data on it)."
    )
    label_url = serializers.SerializerMethodField(
        help_text="The 4x6 in label (PDF; `?format=zpl` for thermal printers)."
    )
    tags = serializers.SerializerMethodField()
    seller = serializers.SerializerMethodField()
    delivery_partner = serializers.SerializerMethodField()
    estimated_delivery = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    class Meta:
        list_serializer_class = _ShipmentListSerializer

    def to_representation(
        self, shipment: Shipment, zone: tzinfo | None = None
    ) -> dict[str, Any]:
        """The fields above, built directly: DRF's per-field loop (a bound
        copy of every field, its attribute lookup and checks) cost a sixth of
        a list request. The same output; a test compares it with the loop."""
        zone = zone or timezone.get_current_timezone()
        ident, code = str(shipment.id), shipment.tracking_code
        base = settings.PUBLIC_BASE_URL
        return {
            "id": ident,
            "tracking_code": code,
            "status": shipment.status,
            "content": shipment.content,
            "weight_kg": _WEIGHT.to_representation(shipment.weight_kg),
            "destination_zip_code": shipment.destination_zip_code,
            "recipient_email": shipment.recipient_email,
            "recipient_phone": shipment.recipient_phone,
            "recipient_name": shipment.recipient_name,
            "recipient_address_line1": shipment.recipient_address_line1,
            "recipient_address_line2": shipment.recipient_address_line2,
            "reference": shipment.reference,
            "metadata": shipment.metadata,
            "livemode": shipment.livemode,
            "tracking_url": f"{base}/track/{code}/",  # tracking_url(), inlined
            "label_url": f"{base}/api/v1/shipments/{ident}/label/",
            "tags": self.get_tags(shipment),
            "seller": self.get_seller(shipment),
            "delivery_partner": self.get_delivery_partner(shipment),
            "estimated_delivery": (
                None
                if shipment.estimated_delivery is None
                else timestamp(shipment.estimated_delivery, zone)
            ),
            "created_at": timestamp(shipment.created_at, zone),
            "updated_at": timestamp(shipment.updated_at, zone),
        }

    def get_tracking_url(self, shipment: Shipment) -> str:
        return tracking_url(shipment.tracking_code)

    def get_label_url(self, shipment: Shipment) -> str:
        return f"{settings.PUBLIC_BASE_URL}/api/v1/shipments/{shipment.id}/label/"

    def get_tags(self, shipment: Shipment) -> list[str]:
        names = getattr(shipment, "tag_names", None)  # from the selectors
        if names is None:
            names = sorted(tag.name for tag in shipment.tags.all())
        return names

    def get_seller(self, shipment: Shipment) -> dict[str, Any]:
        name = getattr(shipment, "seller_name", None)  # joined in by the selectors
        if name is None:
            name = shipment.seller.user.name
        return {"id": shipment.seller_id, "name": name}

    def get_delivery_partner(self, shipment: Shipment) -> dict[str, Any]:
        name = getattr(shipment, "partner_name", None)
        if name is None:
            name = shipment.delivery_partner.user.name
        return {"id": shipment.delivery_partner_id, "name": name}


def event_data(event: Any, zone: tzinfo) -> dict[str, Any]:
    """One timeline entry as the API shows it (seller, partner and public alike)."""
    return {
        "status": event.status,
        "location_zip_code": event.location_zip_code,
        "description": event.description,
        "created_at": timestamp(event.created_at, zone),
    }


class EventOutputSerializer(serializers.Serializer):
    """The fields document the schema; the output is :func:`event_data`'s."""

    status = serializers.CharField()
    location_zip_code = serializers.CharField()
    description = serializers.CharField()
    created_at = serializers.DateTimeField()

    def to_representation(self, event: Any) -> dict[str, Any]:
        return event_data(event, timezone.get_current_timezone())
