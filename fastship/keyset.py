"""Keyset pagination: a page is the rows just beyond a position in a fixed order.

A list is ordered by a timestamp and then the primary key, both in one
direction (newest first, or oldest first). A position is the (timestamp, key)
of a row; the next page is the rows beyond it, found by the index on
(owner, timestamp, key) without reading what comes before. ``OFFSET`` would
read and throw away every earlier row, so its cost grows with the depth.

The condition is a row comparison, ``(ts, pk) < (t, k)``: PostgreSQL seeks
straight to it in the index, even among many rows of the very same instant
(a bulk update); SQLite runs the same, and Django spells it out for a
database without row values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from django.db.models import F, QuerySet
from django.db.models.fields.tuple_lookups import TupleGreaterThan, TupleLessThan

Row = TypeVar("Row")


@dataclass(frozen=True, slots=True)
class Order:
    """A list's order: by ``field`` (a timestamp), then by primary key."""

    field: str
    descending: bool


@dataclass(frozen=True, slots=True)
class Position:
    """Where a row stands in its list: its timestamp and its primary key."""

    at: datetime
    key: Any


def keyset_filter(
    queryset: QuerySet[Any],
    *,
    order: Order,
    after: Position | None,
    backwards: bool = False,
) -> QuerySet[Any]:
    """The rows beyond ``after`` (all when None) in the reading direction, ordered.

    ``backwards`` reads towards the start of the list (a previous page, or the
    last page read from the end): the rows come nearest first.
    """
    ascending = order.descending == backwards
    if after is not None:
        beyond = TupleGreaterThan if ascending else TupleLessThan
        queryset = queryset.filter(
            beyond((F(order.field), F("pk")), (after.at, after.key))
        )
    sign = "" if ascending else "-"
    return queryset.order_by(f"{sign}{order.field}", f"{sign}pk")


class KeysetSource(Protocol[Row]):
    """What a paginator reads: windows of rows, and (for old clients) offsets."""

    order: Order

    def window(
        self, *, after: Position | None, backwards: bool, limit: int
    ) -> list[Row]:
        """Up to ``limit`` rows beyond ``after``, in the reading direction."""

    def position(self, row: Row) -> Position:
        """The row's position in the list."""

    def offset_page(self, *, offset: int, limit: int) -> list[Row]:
        """Rows ``offset`` to ``offset + limit`` (the deprecated page numbers)."""

    def count(self, *, limit: int) -> int:
        """How many rows the list has, counting no further than ``limit``."""


class QuerySetSource:
    """A :class:`KeysetSource` over a queryset (lists read by the ORM)."""

    def __init__(self, queryset: QuerySet[Any], order: Order) -> None:
        self.queryset = queryset
        self.order = order

    def window(
        self, *, after: Position | None, backwards: bool, limit: int
    ) -> list[Any]:
        rows = keyset_filter(
            self.queryset, order=self.order, after=after, backwards=backwards
        )
        return list(rows[:limit])

    def position(self, row: Any) -> Position:
        return Position(getattr(row, self.order.field), row.pk)

    def offset_page(self, *, offset: int, limit: int) -> list[Any]:
        rows = keyset_filter(self.queryset, order=self.order, after=None)
        return list(rows[offset : offset + limit])

    def count(self, *, limit: int) -> int:
        return int(self.queryset.values("pk")[:limit].count())
