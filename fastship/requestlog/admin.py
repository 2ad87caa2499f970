from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from fastship.requestlog.models import RequestLog


@admin.register(RequestLog)
class RequestLogAdmin(admin.ModelAdmin):
    """Read-only: request logs are evidence, not data to edit."""

    # What fits at 1280 px; user, address and request id are on the record's page.
    list_display = (
        "started_at",
        "method",
        "short_path",
        "status_code",
        "duration_ms",
        "user_role",
    )
    list_filter = ("status_code", "method", ("started_at", admin.DateFieldListFilter))
    search_fields = ("path", "request_id")
    date_hierarchy = "started_at"
    show_full_result_count = False  # COUNT(*) over millions of rows on every page
    list_per_page = 100

    @admin.display(description="path", ordering="path")
    def short_path(self, obj: RequestLog) -> str:
        """The path, cut at 60 characters (the whole one is on the record's page)."""
        path = str(obj.path)
        return path if len(path) <= 60 else f"{path[:59]}…"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
