"""Admin change lists that stay fast on tables of millions of rows.

Django's change list counts every row that matches (``COUNT(*)``), and again
without the filters, on every page; at ten million request logs that is
seconds each time. Here the count is exact up to :data:`EXACT_UP_TO` rows
(a count that stops there) and above it PostgreSQL's planner estimate
(``EXPLAIN``, no rows read); and the pages reach only that far, since a page
deep in a huge list is an ``OFFSET`` that reads every row before it (narrow
the list with its filters or search instead).
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

EXACT_UP_TO = 10_000


def estimated_count(queryset: QuerySet[Any]) -> int | None:
    """The planner's estimate of the rows ``queryset`` matches (PostgreSQL only)."""
    if queryset.db != "default" or _vendor(queryset) != "postgresql":
        return None
    plan = json.loads(queryset.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def _vendor(queryset: QuerySet[Any]) -> str:
    from django.db import connections

    return str(connections[queryset.db].vendor)


class EstimatedCountPaginator(Paginator):
    """Exact counts of small results, estimates of huge ones, pages within reach."""

    @cached_property
    def count(self) -> int:
        objects = self.object_list
        if not isinstance(objects, QuerySet):
            return super().count
        exact = objects.order_by()[: EXACT_UP_TO + 1].count()
        if exact <= EXACT_UP_TO:
            return exact
        return max(estimated_count(objects) or exact, exact)

    @cached_property
    def num_pages(self) -> int:
        reachable = min(self.count, EXACT_UP_TO)
        if reachable == 0 and not self.allow_empty_first_page:
            return 0
        return max(1, math.ceil(reachable / self.per_page))


class LargeTableAdmin(admin.ModelAdmin):
    """A change list for a table that grows without end: no full counts."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False


class ReadOnlyLargeTableAdmin(LargeTableAdmin):
    """A large table operators read but never add to, change or delete from
    here (records the system writes)."""

    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
