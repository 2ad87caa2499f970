"""A caller's shipments as keyset pages: the same cost at any depth and size.

Each combination of owner (seller or partner), filters, order and direction is
one statement, compiled the first time it is asked for
(:mod:`fastship.compiled`), on an index in the list's order:
``(owner, created_at DESC, id DESC)``, with ``status`` after the owner when
filtered, and ``(owner, updated_at, id)`` for ``updated_since`` (the poll).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from fastship.compiled import CompiledQuery
from fastship.keyset import Order, Position, keyset_filter
from shipping.models import Shipment, Tag, User
from shipping.selectors.shipments import (
    _FIELD,
    _OWNER,
    ShipmentRow,
    _shown,
    _with_tag_names,
    mode_of,
)

CREATED = Order("created_at", descending=True)  # newest first
UPDATED = Order("updated_at", descending=False)  # what changed first, for polling
# A filter's name -> the model field its value is compared with.
_FILTERS = {
    "status": _FIELD("status"),
    "tag": Tag._meta.get_field("name"),
    "created_after": _FIELD("created_at"),
    "created_before": _FIELD("created_at"),
    "updated_since": _FIELD("updated_at"),
}


def _owned(owner: str, livemode: bool, values: dict[str, Any]) -> QuerySet[Shipment]:
    shipments = Shipment.objects.filter(livemode=livemode, **{owner: values["owner"]})
    if "status" in values:
        shipments = shipments.filter(status=values["status"])
    if "tag" in values:
        shipments = shipments.filter(tags__name=values["tag"])
    if "created_after" in values:
        shipments = shipments.filter(created_at__gt=values["created_after"])
    if "created_before" in values:
        shipments = shipments.filter(created_at__lt=values["created_before"])
    if "updated_since" in values:
        shipments = shipments.filter(updated_at__gte=values["updated_since"])
    return shipments


# One compiled query per (kind, owner, mode, filters, order, positioned,
# backwards), made the first time a request needs it.
_QueryKey = tuple[str, str, bool, tuple[str, ...], Order, bool, bool]
_LISTS: dict[_QueryKey, CompiledQuery] = {}


def _list_query(key: _QueryKey) -> CompiledQuery:
    query = _LISTS.get(key)
    if query is not None:
        return query
    kind, owner, livemode, filters, order, positioned, backwards = key
    fields = {"owner": _FIELD(owner), **{name: _FILTERS[name] for name in filters}}
    if positioned:
        fields |= {"at": _FIELD(order.field), "key": Shipment._meta.pk}

    def build(**values: Any) -> QuerySet[Any]:
        owned = _owned(owner, livemode, values)
        if kind == "count":
            return owned.values_list("pk")
        after = Position(values["at"], values["key"]) if positioned else None
        ordered = keyset_filter(owned, order=order, after=after, backwards=backwards)
        return _shown(ordered)

    query = CompiledQuery(build, fields, paged=kind != "count")
    return _LISTS.setdefault(key, query)


class ShipmentList:
    """A caller's shipments in one order, read a window at a time (keyset).

    Newest first; with ``updated_since``, in the order they last changed.
    Each window is one query on the owner's index and one for the tags.
    """

    def __init__(
        self, owner: str | None, values: dict[str, Any], *, livemode: bool = True
    ) -> None:
        self.owner, self.values, self.livemode = owner, values, livemode
        self.filters = tuple(name for name in values if name != "owner")
        self.order = UPDATED if "updated_since" in values else CREATED

    def window(
        self, *, after: Position | None, backwards: bool, limit: int
    ) -> list[ShipmentRow]:
        if self.owner is None:
            return []
        query = self._query("rows", positioned=after is not None, backwards=backwards)
        values = dict(self.values)
        if after is not None:
            values |= {"at": after.at, "key": after.key}
        return _with_tag_names(query.rows(limit=limit, **values))

    def position(self, row: ShipmentRow) -> Position:
        return Position(getattr(row, self.order.field), row.id)

    def offset_page(self, *, offset: int, limit: int) -> list[ShipmentRow]:
        if self.owner is None:
            return []
        query = self._query("rows")
        return _with_tag_names(query.rows(limit=limit, offset=offset, **self.values))

    def count(self, *, limit: int) -> int:
        if self.owner is None:
            return 0
        return self._query("count").count(limit=limit, **self.values)

    def _query(
        self, kind: str, *, positioned: bool = False, backwards: bool = False
    ) -> CompiledQuery:
        key = (
            kind,
            self.owner or "seller",
            self.livemode,
            self.filters,
            self.order,
            positioned,
            backwards,
        )
        return _list_query(key)


def shipment_list_for_user(
    *,
    user: User,
    status: str | None = None,
    tag: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    updated_since: datetime | None = None,
    livemode: bool = True,
) -> ShipmentList:
    """A seller's own or a partner's assigned shipments, filtered (keyset pages):
    a seller's in the caller's mode, a partner's live ones only."""
    filters = {
        "status": status,
        "tag": tag,
        "created_after": created_after,
        "created_before": created_before,
        "updated_since": updated_since,
    }
    owner = _OWNER.get(user.role)  # type: ignore[call-overload]
    values: dict[str, Any] = {"owner": user.pk}
    values.update((name, value) for name, value in filters.items() if value)
    return ShipmentList(owner, values, livemode=mode_of(owner, livemode))
