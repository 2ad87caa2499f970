from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from fastship.admin_paging import ReadOnlyLargeTableAdmin
from fastship.requestlog.models import RequestLog

METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS")


class StatusClassFilter(admin.SimpleListFilter):
    """By class of status (Django's own filter would list every distinct status
    by reading the whole table)."""

    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(f"{n}xx", f"{n}xx") for n in (2, 3, 4, 5)]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[RequestLog]
    ) -> QuerySet[RequestLog]:
        value = self.value() or ""
        if len(value) == 3 and value[0] in "2345" and value.endswith("xx"):
            low = int(value[0]) * 100
            return queryset.filter(status_code__gte=low, status_code__lt=low + 100)
        return queryset


class MethodFilter(admin.SimpleListFilter):
    """By method, from a fixed list (no scan for the distinct values)."""

    title = "method"
    parameter_name = "method"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(method, method) for method in METHODS]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[RequestLog]
    ) -> QuerySet[RequestLog]:
        if self.value() in METHODS:
            return queryset.filter(method=self.value())
        return queryset


@admin.register(RequestLog)
class RequestLogAdmin(ReadOnlyLargeTableAdmin):
    """Read-only: request logs are evidence, not data to edit.

    Fast at millions of rows: counts stop at a cap (LargeTableAdmin), the
    filters need no scan for their choices, and search is by exact request
    id, status code or path prefix, each on an index.
    """

    # What fits at 1280 px; user, address and request id are on the record's page.
    list_display = (
        "started_at",
        "method",
        "short_path",
        "status_code",
        "duration_ms",
        "user_role",
    )
    list_filter = (
        StatusClassFilter,
        MethodFilter,
        ("started_at", admin.DateFieldListFilter),
    )
    search_fields = ("request_id",)  # the search itself: get_search_results
    search_help_text = "A request id, a status code, or the start of a path (/api/…)."
    list_per_page = 100

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[RequestLog], search_term: str
    ) -> tuple[QuerySet[RequestLog], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.startswith("/"):
            return queryset.filter(path__startswith=term), False
        if term.isdigit() and len(term) == 3:
            return queryset.filter(status_code=int(term)), False
        return queryset.filter(request_id=term), False

    @admin.display(description="path", ordering="path")
    def short_path(self, obj: RequestLog) -> str:
        """The path, cut at 60 characters (the whole one is on the record's page)."""
        path = str(obj.path)
        return path if len(path) <= 60 else f"{path[:59]}…"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]
