"""A create's rows written in one PostgreSQL statement (data-modifying CTEs).

The statement reserves the partner with the conditional ``UPDATE`` and inserts
the shipment, its first event, its tags, the recipient's mail, the webhook
deliveries and the idempotency record only from that update's result: a
partner filled meanwhile leaves nothing behind. One statement per shape
(tags, deliveries, a key) is built from the models' columns once; a column
the plan does not set takes its field's default.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, models, transaction

from shipping.models import (
    IdempotencyRecord,
    Notification,
    Shipment,
    ShipmentEvent,
    Tag,
    WebhookDelivery,
)
from shipping.representations import ShipmentOutputSerializer
from shipping.services.idempotency import IdempotencyKey

PLACED = Shipment.Status.PLACED


@dataclass
class Plan:
    """Everything one create writes, decided before writing."""

    shipment: Shipment
    tags: list[Tag]
    origin: str
    notification: Notification
    deliveries: list[WebhookDelivery] = field(default_factory=list)
    key: IdempotencyKey | None = None


def answer_of(shipment: Shipment) -> dict[str, Any]:
    """The shipment as the create answers it (and webhooks and the key keep it)."""
    return dict(ShipmentOutputSerializer(shipment).data)


_STATEMENTS: dict[tuple[bool, bool, bool], str] = {}


def plan_write(plan: Plan) -> bool:
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
            "state": "text",
            "last_error": "text",
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


def _params(plan: Plan) -> dict[str, Any]:
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
        for name in ("id", "endpoint_id", "event_type", "body", "state", "last_error"):
            params[f"d_{name}s"] = [getattr(d, name) for d in plan.deliveries]
        template = plan.deliveries[0]
        params.update(_values(template, "w"))
    if plan.key is not None:
        record = IdempotencyRecord(
            seller_id=shipment.seller_id,
            key=plan.key.key,
            request_hash=plan.key.fingerprint,
            response_status=201,
            response_body=answer_of(shipment),
            created_at=shipment.created_at,
        )
        params.update(_values(record, "i"))
    return params
