"""Reads of the shipping domain, one module per part; every selector is here."""

from shipping.selectors.integrations import (
    api_keys_of,
    shipment_timeline,
    webhook_deliveries,
    webhook_delivery,
    webhooks_of,
)
from shipping.selectors.lists import ShipmentList, shipment_list_for_user
from shipping.selectors.shipments import (
    EventRow,
    ShipmentRow,
    TrackingRow,
    shipment_events,
    shipment_get_by_tracking_code,
    shipment_get_for_user,
    shipment_id_for_scan,
    tag_list,
    tracking_code_known,
    user_with_profile,
)

__all__ = [
    "EventRow",
    "ShipmentList",
    "ShipmentRow",
    "TrackingRow",
    "api_keys_of",
    "shipment_events",
    "shipment_get_by_tracking_code",
    "shipment_get_for_user",
    "shipment_id_for_scan",
    "shipment_list_for_user",
    "shipment_timeline",
    "tag_list",
    "tracking_code_known",
    "user_with_profile",
    "webhook_deliveries",
    "webhook_delivery",
    "webhooks_of",
]
