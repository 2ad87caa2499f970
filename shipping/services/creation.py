"""A shipment created: everything decided first, then written in one statement.

What a create writes is known before anything is written: the new id and
tracking code, the time, the partner to try, the recipient's mail and whether
it is held, the webhook deliveries and their bodies, and, with an
``Idempotency-Key``, the answer to replay. On PostgreSQL all of it is then
one statement of data-modifying CTEs (no transaction of several statements,
no ORM building four INSERTs and an UPDATE): the partner's capacity is taken
with the same conditional ``UPDATE`` as before, and the rows are inserted
only from its result, so a partner filled meanwhile leaves nothing behind and
the next candidate is tried. A key used before fails the statement on its
unique constraint (after the first use commits), and the first answer is
replayed. Elsewhere (SQLite) the same rows are written by the ORM in a
transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import psycopg.errors
from django.db import IntegrityError, OperationalError, connection
from django.utils import timezone

from shipping.exceptions import NoPartnerAvailable
from shipping.models import (
    Notification,
    Seller,
    Shipment,
    Tag,
    WebhookEndpoint,
    normalize_zip_code,
)
from shipping.services import shipments
from shipping.services.creation_sql import Plan, answer_of, plan_write
from shipping.services.idempotency import (
    Answer,
    IdempotencyKey,
    idempotency_once,
    idempotency_replay,
)
from shipping.services.notifications import (
    notification_hand_over,
    notification_planned,
)
from shipping.services.partners import PartnerChoice, partner_candidates
from shipping.services.references import shipment_referenced
from shipping.services.tags import tags_get
from shipping.services.webhooks import (
    Endpoints,
    webhook_deliveries_planned,
    webhook_endpoints_of,
    webhooks_hand_over,
)
from shipping.tracking_codes import new_tracking_code

Event = WebhookEndpoint.Event
PLACED = Shipment.Status.PLACED


@dataclass
class Created:
    """A create's answer: the shipment (or the replayed answer of its key)."""

    status: int
    body: dict[str, Any]
    shipment: Shipment | None = None
    replayed: bool = False


def shipment_create_answer(
    *,
    seller: Seller,
    content: str,
    weight_kg: Decimal,
    destination_zip_code: str,
    recipient_email: str,
    recipient_phone: str = "",
    recipient_name: str = "",
    recipient_address_line1: str = "",
    recipient_address_line2: str = "",
    reference: str = "",
    metadata: dict[str, str] | None = None,
    tags: Iterable[str] = (),
    idempotency: IdempotencyKey | None = None,
    livemode: bool = True,
) -> Created:
    """Create a shipment, assign a partner, start the timeline, notify the
    recipient, record the seller's webhooks; or replay the key's first answer.

    With ``idempotency`` the same key and body answer once; concurrent
    repeats wait for the first and replay it; another body is a 409. A
    ``reference`` is the seller's own id: a second create with it answers the
    first shipment (200) if it asks for the same, else 409. A test shipment
    (``livemode`` false) takes no partner capacity and mails its seller.
    """
    fields: dict[str, Any] = {
        "content": content,
        "weight_kg": weight_kg,
        "destination_zip_code": destination_zip_code,
        "recipient_email": recipient_email,
        "recipient_phone": recipient_phone,
        "recipient_name": recipient_name,
        "recipient_address_line1": recipient_address_line1,
        "recipient_address_line2": recipient_address_line2,
        "reference": reference,
        "metadata": metadata or {},
        "tags": list(tags),
    }
    if reference:
        earlier = _referenced(seller, livemode, fields)
        if earlier is not None:
            return earlier
    try:
        return _create(
            seller=seller, idempotency=idempotency, livemode=livemode, fields=fields
        )
    except IntegrityError as error:
        if not (reference and "shipment_reference_unique" in str(error)):
            raise
    # A concurrent create with the reference committed first.
    earlier = _referenced(seller, livemode, fields)
    if earlier is None:
        raise RuntimeError("a reference conflicted and then vanished")
    return earlier


def _referenced(
    seller: Seller, livemode: bool, fields: dict[str, Any]
) -> Created | None:
    earlier = shipment_referenced(seller=seller, livemode=livemode, fields=fields)
    if earlier is None:
        return None
    return Created(200, answer_of(earlier), earlier, replayed=True)


def _create(
    *,
    seller: Seller,
    idempotency: IdempotencyKey | None,
    livemode: bool,
    fields: dict[str, Any],
) -> Created:
    """Write a new shipment of ``fields`` (as :func:`shipment_create_answer`
    takes them), or replay the first answer of ``idempotency``."""
    given = dict(fields)
    tag_objects = tags_get(given.pop("tags"))
    zip_code = normalize_zip_code(given.pop("destination_zip_code"))
    email = given.pop("recipient_email").strip().lower()
    now = timezone.now()
    shipment = Shipment(
        id=uuid.uuid4(),
        tracking_code=new_tracking_code(),
        status=PLACED,
        destination_zip_code=zip_code,
        recipient_email=email,
        livemode=livemode,
        seller=seller,
        created_at=now,
        updated_at=now,
        **given,
    )
    shipment.tag_names = sorted(tag.name for tag in tag_objects)  # type: ignore[attr-defined]
    if connection.vendor != "postgresql" or not livemode:
        # SQLite, and test shipments (no capacity taken, mail to the seller):
        # the ORM in a transaction.
        return _create_with_orm(shipment, tag_objects, seller, idempotency)
    candidates = partner_candidates(zip_code=zip_code)
    endpoints = webhook_endpoints_of(seller_id=seller.pk)
    for partner in candidates:
        plan = _plan(shipment, tag_objects, seller, partner, idempotency, endpoints)
        try:
            written = _write_waiting_twice(plan)
        except IntegrityError as error:
            if idempotency is None or not _is_key_conflict(error):
                raise
            replayed = idempotency_replay(seller=seller, key=idempotency)
            if replayed is None:  # the first use expired: this one counts
                return _create(
                    seller=seller,
                    idempotency=idempotency,
                    livemode=livemode,
                    fields=fields,
                )
            return Created(replayed.status, replayed.body or {}, replayed=True)
        if written:
            shipment._state.adding, shipment._state.db = False, "default"
            notification_hand_over(plan.notification)
            webhooks_hand_over(plan.deliveries)
            return Created(201, answer_of(shipment), shipment)
    raise NoPartnerAvailable(attr="destination_zip_code")


def _write_waiting_twice(plan: Plan) -> bool:
    """:func:`plan_write`, tried once more if the partner's row stayed locked
    for the whole lock timeout (``DATABASE_LOCK_TIMEOUT_MS``): a short wait,
    then one more, before the request is answered 503 with ``Retry-After``.

    Only where the statement is a transaction of its own: inside a caller's
    transaction the error is the caller's to handle.
    """
    try:
        return plan_write(plan)
    except OperationalError as error:
        locked = isinstance(error.__cause__, psycopg.errors.LockNotAvailable)
        if not locked or connection.in_atomic_block:
            raise
    return plan_write(plan)


def _plan(
    shipment: Shipment,
    tag_objects: list[Tag],
    seller: Seller,
    partner: PartnerChoice,
    idempotency: IdempotencyKey | None,
    endpoints: Endpoints,
) -> Plan:
    shipment.delivery_partner_id = partner.id
    shipment.partner_name = partner.name  # type: ignore[attr-defined]
    data = answer_of(shipment)
    return Plan(
        shipment=shipment,
        tags=tag_objects,
        origin=seller.zip_code,
        notification=notification_planned(
            kind=Notification.Kind.SHIPMENT_PLACED,
            recipient=shipment.recipient_email,
            context=shipments.tracking_context(shipment, partner_name=partner.name),
        ),
        deliveries=webhook_deliveries_planned(
            endpoints=endpoints,
            events=[Event.SHIPMENT_CREATED],
            data=data,
            now=shipment.created_at,
            livemode=shipment.livemode,
        ),
        key=idempotency,
    )


def _create_with_orm(
    shipment: Shipment,
    tag_objects: list[Tag],
    seller: Seller,
    idempotency: IdempotencyKey | None,
) -> Created:
    """The same rows through the ORM, in a transaction (SQLite)."""

    def write() -> Shipment:
        return shipments.shipment_write(
            shipment=shipment, tags=tag_objects, origin=seller.zip_code
        )

    if idempotency is None:
        made = write()
        return Created(201, answer_of(made), made)
    with idempotency_once(
        seller=seller, key=idempotency.key, fingerprint=idempotency.fingerprint
    ) as answer:
        if not answer.replayed:
            answer.record(201, answer_of(write()))
    return _created_from(answer, shipment)


def _created_from(answer: Answer, shipment: Shipment) -> Created:
    if answer.replayed:
        return Created(answer.status, answer.body or {}, replayed=True)
    return Created(answer.status, answer.body or {}, shipment)


def _is_key_conflict(error: IntegrityError) -> bool:
    return "idempotency_seller_key_unique" in str(error)


__all__ = ["Created", "IdempotencyKey", "shipment_create_answer"]
