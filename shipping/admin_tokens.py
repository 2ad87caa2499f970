"""Refresh tokens in the admin: who has a session, never the token itself.

simplejwt's own admin shows each outstanding refresh token in full (a staff
member could copy one and use it) and sorts by user, which reads the whole
table; these replace it.
"""

from __future__ import annotations

from django.contrib import admin
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)

from fastship.admin_paging import ReadOnlyLargeTableAdmin

for model in (OutstandingToken, BlacklistedToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(OutstandingToken)
class OutstandingTokenAdmin(ReadOnlyLargeTableAdmin):
    list_display = ("jti", "user", "created_at", "expires_at")
    fields = ("jti", "user", "created_at", "expires_at")  # never ``token``
    readonly_fields = fields
    search_fields = ("=jti",)
    list_select_related = ("user",)
    ordering = ("-id",)


@admin.register(BlacklistedToken)
class BlacklistedTokenAdmin(ReadOnlyLargeTableAdmin):
    list_display = ("token_jti", "blacklisted_at")
    fields = ("token_jti", "blacklisted_at")
    readonly_fields = fields
    search_fields = ("=token__jti",)
    list_select_related = ("token",)
    ordering = ("-id",)

    @admin.display(description="jti")
    def token_jti(self, obj: BlacklistedToken) -> str:
        return str(obj.token.jti)
