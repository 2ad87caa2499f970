"""Webhook endpoints and their events: registered by sellers, signed, outboxed.

An event is recorded (one ``WebhookDelivery`` row per subscribed endpoint) in
the transaction of the change that causes it and handed to RQ after commit
without waiting; ``shipping/services/webhook_delivery.py`` sends it.
Signatures follow Standard Webhooks 1.0.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fastship.compiled import CompiledQuery
from fastship.jobs import background_enqueuer
from fastship.outbound import TargetRefused, check_target
from shipping.exceptions import NotFound, WebhookLimitReached, WebhookTargetRefused
from shipping.jobs import OUTBOX_JOB_OPTIONS, deliver_webhook_job, webhook_job_id
from shipping.models import Seller, Shipment, WebhookDelivery, WebhookEndpoint
from shipping.representations import ShipmentOutputSerializer

Event = WebhookEndpoint.Event
State = WebhookDelivery.State
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format, not a secret
ROTATION_OVERLAP = timedelta(hours=24)
MAX_ENDPOINTS_PER_SELLER = 10


def new_secret() -> str:
    """A signing secret in the Standard Webhooks form: ``whsec_`` + base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, *, message_id: str, timestamp: int, body: str) -> str:
    """``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` with the secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signing_secrets(endpoint: WebhookEndpoint, *, now: datetime) -> list[str]:
    """The current secret, and the previous one while its overlap lasts."""
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        return [endpoint.secret, endpoint.previous_secret]
    return [endpoint.secret]


def webhook_target_check(url: str) -> None:
    """Refuse a URL FastShip must not call (https, public addresses only)."""
    try:
        check_target(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_TARGETS)
    except TargetRefused as refused:
        raise WebhookTargetRefused(str(refused), attr="url") from None


def webhook_create(*, seller: Seller, url: str, events: list[str]) -> WebhookEndpoint:
    """Register an endpoint for ``events``; its secret is in the returned row.

    The URL is resolved and checked first, outside the transaction: a slow
    resolver holds no database connection in a transaction.
    """
    webhook_target_check(url)
    with transaction.atomic():
        seller = Seller.objects.select_for_update().get(pk=seller.pk)
        endpoints = WebhookEndpoint.objects.filter(seller=seller)
        if endpoints.count() >= MAX_ENDPOINTS_PER_SELLER:
            raise WebhookLimitReached(attr="url")
        return WebhookEndpoint.objects.create(
            seller=seller, url=url, events=sorted(set(events)), secret=new_secret()
        )


def endpoint_of(
    *, seller: Seller, webhook_id: Any, lock: bool = False
) -> WebhookEndpoint:
    """The seller's endpoint (row-locked with ``lock``, in a transaction)."""
    endpoints = WebhookEndpoint.objects.filter(pk=webhook_id, seller=seller)
    endpoint = (endpoints.select_for_update() if lock else endpoints).first()
    if endpoint is None:  # another seller's is a 404 too
        raise NotFound("No such webhook.")
    return endpoint


def webhook_delete(*, seller: Seller, webhook_id: Any) -> None:
    """Remove an endpoint; its pending deliveries go with it."""
    endpoint_of(seller=seller, webhook_id=webhook_id).delete()


@transaction.atomic
def webhook_rotate_secret(*, seller: Seller, webhook_id: Any) -> WebhookEndpoint:
    """A new secret; the old one signs as well for the next 24 hours."""
    endpoint = endpoint_of(seller=seller, webhook_id=webhook_id)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    endpoint.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at"]
    )
    return endpoint


# A seller's endpoints, the events each takes and whether it is enabled (a
# query compiled once).
_ENDPOINTS = CompiledQuery(
    lambda seller: WebhookEndpoint.objects.filter(seller=seller).values_list(
        "id", "events", "disabled_at"
    ),
    {"seller": WebhookEndpoint._meta.get_field("seller")},
)
Endpoints = list[tuple[Any, list[str], bool]]
# What a delivery not sent because its endpoint is disabled says; re-enabling
# the endpoint sends these (the ones retention has not deleted).
DISABLED = "endpoint disabled"


def webhook_endpoints_of(*, seller_id: int) -> Endpoints:
    """The seller's endpoints: (id, the events it is subscribed to, enabled).

    A disabled endpoint's events are recorded too, unsent (``DISABLED``), so
    re-enabling it delivers what happened meanwhile.
    """
    return [
        (row["id"], row["events"], row["disabled_at"] is None)
        for row in _ENDPOINTS.rows(seller=seller_id)
    ]


def webhook_deliveries_planned(
    *,
    endpoints: Endpoints,
    events: list[str],
    data: dict[str, Any] | Callable[[], dict[str, Any]],
    now: datetime | None = None,
    livemode: bool = True,
) -> list[WebhookDelivery]:
    """The delivery rows, not yet saved, of ``events`` for the endpoints
    subscribed to them; each event's body is rendered once (``data`` may be a
    callable, called only when some endpoint is subscribed)."""
    subscribed = [
        (event, endpoint_id, enabled)
        for event in events
        for endpoint_id, taken, enabled in endpoints
        if event in taken
    ]
    if not subscribed:
        return []
    shown = data() if callable(data) else data
    now = now or timezone.now()
    bodies = {
        event: json.dumps(
            {
                "type": event,
                "timestamp": now.isoformat(),
                "livemode": livemode,
                "data": shown,
            },
            separators=(",", ":"),
            default=str,
        )
        for event, _, _ in subscribed
    }
    return [
        WebhookDelivery(
            id=uuid.uuid4(),
            endpoint_id=endpoint_id,
            event_type=event,
            body=bodies[event],
            state=State.PENDING if enabled else State.FAILED,
            last_error="" if enabled else DISABLED,
            created_at=now,
            next_attempt_at=now,
        )
        for event, endpoint_id, enabled in subscribed
    ]


def webhooks_hand_over(deliveries: list[WebhookDelivery]) -> None:
    """Hand saved deliveries to RQ once their transaction commits (those to
    send: not a disabled endpoint's)."""
    for delivery in deliveries:
        if delivery.state != State.PENDING:
            continue
        background_enqueuer.submit_after_commit(
            "webhooks",
            deliver_webhook_job,
            str(delivery.pk),
            job_id=webhook_job_id(delivery.pk, 0),
            **OUTBOX_JOB_OPTIONS,
        )


def webhook_events_record(*, shipment: Shipment, events: list[str]) -> int:
    """Outbox ``events`` of ``shipment`` for every endpoint subscribed to them.

    Called inside the change's transaction; the data is the shipment as the
    API shows it to its seller, rendered once, so every attempt sends the same
    bytes. Returns how many deliveries were recorded.
    """

    def data() -> dict[str, Any]:
        fresh = Shipment.objects.select_related("delivery_partner__user").get(
            pk=shipment.pk
        )
        return dict(ShipmentOutputSerializer(fresh).data)

    deliveries = webhook_deliveries_planned(
        endpoints=webhook_endpoints_of(seller_id=shipment.seller_id),
        events=events,
        data=data,
        livemode=shipment.livemode,
    )
    WebhookDelivery.objects.bulk_create(deliveries)
    webhooks_hand_over(deliveries)
    return len(deliveries)
