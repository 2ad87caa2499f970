"""The shipping app's models, one module per part of the domain.

Everything is importable from ``shipping.models`` (the migrations name
``shipping.models.UserManager`` and ``shipping.models.new_tracking_code``).
"""

from shipping.models.accounts import (
    E164,
    ZIP_CODE,
    DeliveryPartner,
    Seller,
    ServiceableZipCode,
    User,
    UserManager,
    normalize_email_address,
    normalize_zip_code,
)
from shipping.models.integrations import (
    ALL_SCOPES,
    SCOPES,
    ApiKey,
    WebhookDelivery,
    WebhookEndpoint,
)
from shipping.models.records import IdempotencyRecord, Notification
from shipping.models.shipments import (
    DeliveryVerification,
    Review,
    Shipment,
    ShipmentEvent,
    Tag,
)
from shipping.tracking_codes import new_tracking_code

__all__ = [
    "ALL_SCOPES",
    "E164",
    "SCOPES",
    "ZIP_CODE",
    "ApiKey",
    "DeliveryPartner",
    "DeliveryVerification",
    "IdempotencyRecord",
    "Notification",
    "Review",
    "Seller",
    "ServiceableZipCode",
    "Shipment",
    "ShipmentEvent",
    "Tag",
    "User",
    "UserManager",
    "WebhookDelivery",
    "WebhookEndpoint",
    "new_tracking_code",
    "normalize_email_address",
    "normalize_zip_code",
]
