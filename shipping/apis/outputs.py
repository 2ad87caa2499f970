"""The schema of the paged answers (pages themselves: fastship.api.pagination)."""

from __future__ import annotations

from fastship.api.pagination import page_serializer
from shipping.representations import EventOutputSerializer, ShipmentOutputSerializer

ShipmentPageSerializer = page_serializer(
    "ShipmentPageSerializer", ShipmentOutputSerializer, "One page of shipments."
)
EventPageSerializer = page_serializer(
    "EventPageSerializer", EventOutputSerializer, "One page of a timeline."
)
