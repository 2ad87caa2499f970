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
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from shipping.exceptions import NoPartnerAvailable
from shipping.models import (
    IdempotencyRecord,
    Notification,
    Seller,
    Shipment,
    ShipmentEvent,
    Tag,
    WebhookDelivery,
    WebhookEndpoint,
    normalize_zip_code,
)
from shipping.representations import ShipmentOutputSerializer
from shipping.services import shipments
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


@dataclass
class _Plan:
    shipment: Shipment
    tags: list[Tag]
    origin: str
    notification: Notification
    deliveries: list[WebhookDelivery] = field(default_factory=list)
    key: IdempotencyKey | None = None


def shipment_create_answer(
    *,
    seller: Seller,
    content: str,
    weight_kg: Decimal,
    destination_zip_code: str,
    recipient_email: str,
    recipient_phone: str = "",
    tags: Iterable[str] = (),
    idempotency: IdempotencyKey | None = None,
) -> Created:
    """Create a shipment, assign a partner, start the timeline, notify the
    recipient, record the seller's webhooks; or replay the key's first answer.

    With ``idempotency`` the same key and body answer once; concurrent
    repeats wait for the first and replay it; another body is a 409.
    """
    zip_code = normalize_zip_code(destination_zip_code)
    tag_objects = shipments.tags_get(tags)
    now = timezone.now()
    shipment = Shipment(
        id=uuid.uuid4(),
        tracking_code=new_tracking_code(),
        status=PLACED,
        content=content,
        weight_kg=weight_kg,
        destination_zip_code=zip_code,
        recipient_email=recipient_email.strip().lower(),
        recipient_phone=recipient_phone,
        seller=seller,
        created_at=now,
        updated_at=now,
    )
    shipment.tag_names = sorted(tag.name for tag in tag_objects)  # type: ignore[attr-defined]
    if connection.vendor != "postgresql":
        return _create_with_orm(shipment, tag_objects, seller, idempotency)
    candidates = partner_candidates(zip_code=zip_code)
    endpoints = webhook_endpoints_of(seller_id=seller.pk)
    for partner in candidates:
        plan = _plan(shipment, tag_objects, seller, partner, idempotency, endpoints)
        try:
            written = _write_in_one_statement(plan)
        except IntegrityError as error:
            if idempotency is None or not _is_key_conflict(error):
                raise
            replayed = idempotency_replay(seller=seller, key=idempotency)
            if replayed is None:  # the first use expired: this one counts
                return shipment_create_answer(
                    seller=seller,
                    content=content,
                    weight_kg=weight_kg,
                    destination_zip_code=destination_zip_code,
                    recipient_email=recipient_email,
                    recipient_phone=recipient_phone,
                    tags=[tag.name for tag in tag_objects],
                    idempotency=idempotency,
                )
            return Created(replayed.status, replayed.body or {}, replayed=True)
        if written:
            shipment._state.adding, shipment._state.db = False, "default"
            notification_hand_over(plan.notification)
            webhooks_hand_over(plan.deliveries)
            return Created(201, _answer(shipment), shipment)
    raise NoPartnerAvailable(attr="destination_zip_code")


def _plan(
    shipment: Shipment,
    tag_objects: list[Tag],
    seller: Seller,
    partner: PartnerChoice,
    idempotency: IdempotencyKey | None,
    endpoints: Endpoints,
) -> _Plan:
    shipment.delivery_partner_id = partner.id
    shipment.partner_name = partner.name  # type: ignore[attr-defined]
    data = _answer(shipment)
    return _Plan(
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
        ),
        key=idempotency,
    )


def _answer(shipment: Shipment) -> dict[str, Any]:
    return dict(ShipmentOutputSerializer(shipment).data)


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
        return Created(201, _answer(made), made)
    with idempotency_once(
        seller=seller, key=idempotency.key, fingerprint=idempotency.fingerprint
    ) as answer:
        if not answer.replayed:
            answer.record(201, _answer(write()))
    return _created_from(answer, shipment)


def _created_from(answer: Answer, shipment: Shipment) -> Created:
    if answer.replayed:
        return Created(answer.status, answer.body or {}, replayed=True)
    return Created(answer.status, answer.body or {}, shipment)


def _is_key_conflict(error: IntegrityError) -> bool:
    return "idempotency_seller_key_unique" in str(error)


# --- PostgreSQL: one statement --------------------------------------------------

_STATEMENTS: dict[tuple[bool, bool, bool], str] = {}


def _write_in_one_statement(plan: _Plan) -> bool:
    """Reserve the partner and insert every row, or nothing (partner full)."""
    shape = (bool(plan.tags), bool(plan.deliveries), plan.key is not None)
    sql = _STATEMENTS.get(shape) or _STATEMENTS.setdefault(shape, _statement(*shape))
    params = _params(plan)
    # Alone it is atomic as it stands; inside a caller's transaction, a
    # savepoint, so a used key's error leaves that transaction usable.
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with savepoint, connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    plan.notification.pk = row[0]
    return True


def _statement(tags: bool, deliveries: bool, key: bool) -> str:
    shipment = _insert(
        Shipment, "reserved", {"delivery_partner_id": "reserved.user_id"}, "s"
    )
    parts = [
        "reserved AS (UPDATE shipping_deliverypartner SET active_shipments = "
        "active_shipments + 1 WHERE user_id = %(s_delivery_partner_id)s AND "
        "active_shipments < max_handling_capacity RETURNING user_id)",
        f"shipment AS ({shipment} RETURNING id)",
        "event AS ("
        + _insert(ShipmentEvent, "shipment", {"shipment_id": "shipment.id"}, "e")
        + ")",
        "mail AS (" + _insert(Notification, "shipment", {}, "n") + " RETURNING id)",
    ]
    if tags:
        parts.append(
            "tagged AS (INSERT INTO shipping_shipment_tags (shipment_id, tag_id) "
            "SELECT shipment.id, tag FROM shipment, "
            "unnest(%(tag_ids)s::bigint[]) AS tag)"
        )
    if deliveries:
        arrays = {
            "id": "uuid",
            "endpoint_id": "uuid",
            "event_type": "text",
            "body": "text",
        }
        unnest = ", ".join(f"%(d_{name}s)s::{kind}[]" for name, kind in arrays.items())
        given = {name: f"d.{name}" for name in arrays}
        parts.append(
            "hooks AS ("
            + _insert(
                WebhookDelivery,
                f"shipment, unnest({unnest}) AS d({', '.join(arrays)})",
                given,
                "w",
            )
            + ")"
        )
    if key:
        parts.append(
            "answered AS (" + _insert(IdempotencyRecord, "shipment", {}, "i") + ")"
        )
    return "WITH " + ",\n".join(parts) + "\nSELECT id FROM mail"


def _insert(
    model: type[models.Model], source: str, given: dict[str, str], prefix: str
) -> str:
    """``INSERT INTO`` every column of ``model`` ``SELECT`` from ``source``: a
    column is the SQL in ``given``, else the parameter ``<prefix>_<column>``."""
    quote = connection.ops.quote_name
    columns, values = [], []
    for column in _columns(model):
        columns.append(quote(column))
        values.append(given.get(column, f"%({prefix}_{column})s"))
    table = quote(model._meta.db_table)
    # Names and placeholders from the model's own fields, values as parameters.
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM {source}"
    )


def _columns(model: type[models.Model]) -> list[str]:
    """Every column written on insert (not a database-made serial key)."""
    return [
        str(f.column)
        for f in model._meta.concrete_fields
        if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
    ]


def _values(instance: models.Model, prefix: str) -> dict[str, Any]:
    """The instance's values, prepared for the database, named as in _insert."""
    prepared = {}
    for f in instance._meta.concrete_fields:
        if f.primary_key and isinstance(f, models.AutoField | models.BigAutoField):
            continue
        value = getattr(instance, f.attname)
        if value is None and f.has_default():
            value = f.get_default()
        prepared[f"{prefix}_{f.column}"] = f.get_db_prep_save(value, connection)
    return prepared


def _params(plan: _Plan) -> dict[str, Any]:
    shipment = plan.shipment
    event = ShipmentEvent(
        shipment=shipment,
        status=PLACED,
        location_zip_code=plan.origin,
        description="Shipment placed",
        created_at=shipment.created_at,
    )
    params = {
        **_values(shipment, "s"),
        **_values(event, "e"),
        **_values(plan.notification, "n"),
    }
    if plan.tags:
        params["tag_ids"] = [tag.pk for tag in plan.tags]
    if plan.deliveries:
        for name in ("id", "endpoint_id", "event_type", "body"):
            params[f"d_{name}s"] = [getattr(d, name) for d in plan.deliveries]
        template = plan.deliveries[0]
        params.update(_values(template, "w"))
    if plan.key is not None:
        record = IdempotencyRecord(
            seller_id=shipment.seller_id,
            key=plan.key.key,
            request_hash=plan.key.fingerprint,
            response_status=201,
            response_body=_answer(shipment),
            created_at=shipment.created_at,
        )
        params.update(_values(record, "i"))
    return params


__all__ = ["Created", "IdempotencyKey", "shipment_create_answer"]
