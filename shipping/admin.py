import uuid
from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from fastship.admin_paging import LargeTableAdmin
from shipping.models import (
    DeliveryPartner,
    Review,
    Seller,
    ServiceableZipCode,
    Shipment,
    ShipmentEvent,
    Tag,
    User,
)
from shipping.services.shipments import FINISHED
from shipping.tracking_codes import canonical_tracking_code


class EmailUserCreationForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class EmailUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = EmailUserChangeForm
    add_form = EmailUserCreationForm
    ordering = ("email",)
    list_display = (
        "email",
        "name",
        "role",
        "email_verified_at",
        "is_staff",
        "is_active",
    )
    list_filter = ("role", "is_staff", "is_superuser", "is_active")
    search_fields = ("email", "name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name", "role", "email_verified_at")}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),
    )
    actions = ("revoke_sessions",)

    @admin.action(description="End all sessions and revoke all API keys")
    def revoke_sessions(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        from shipping.services.accounts import user_sessions_revoke

        keys = sum(user_sessions_revoke(user=user) for user in queryset)
        self.message_user(
            request,
            f"Refresh tokens of {queryset.count()} account(s) ended and {keys} API "
            "key(s) revoked; their access tokens lapse within 15 minutes.",
        )


class ServiceableZipCodeInline(admin.TabularInline):
    model = ServiceableZipCode
    extra = 1


@admin.register(Seller)
class SellerAdmin(admin.ModelAdmin):
    list_display = ("user", "zip_code", "address")
    search_fields = ("user__email", "user__name", "zip_code")
    list_select_related = ("user",)
    raw_id_fields = ("user",)


class ApprovalFilter(admin.SimpleListFilter):
    title = "approval"
    parameter_name = "approved"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", "Pending approval"), ("yes", "Approved")]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[DeliveryPartner]
    ) -> QuerySet[DeliveryPartner]:
        if self.value() in ("no", "yes"):
            return queryset.filter(approved_at__isnull=self.value() == "no")
        return queryset


@admin.register(DeliveryPartner)
class DeliveryPartnerAdmin(admin.ModelAdmin):
    """Partners sign up themselves and get shipments only once approved here."""

    list_display = (
        "user",
        "approved_at",
        "active_shipments",
        "max_handling_capacity",
    )
    list_filter = (ApprovalFilter,)
    search_fields = ("user__email", "user__name", "zip_codes__zip_code")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("active_shipments", "approved_at")
    inlines = (ServiceableZipCodeInline,)
    actions = ("approve",)

    @admin.action(description="Approve selected partners (they get shipments)")
    def approve(
        self, request: HttpRequest, queryset: QuerySet[DeliveryPartner]
    ) -> None:
        from shipping.services.accounts import partners_approve

        count = partners_approve(partner_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} partner(s) approved.")


class ShipmentEventInline(admin.TabularInline):
    """The timeline: shown, never edited (it is the audit trail)."""

    model = ShipmentEvent
    extra = 0
    can_delete = False
    readonly_fields = ("created_at", "status", "location_zip_code", "description")
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _open(shipment: Shipment | None) -> bool:
    """No shipment (a list's question) or one not yet delivered or cancelled."""
    return shipment is None or shipment.status not in FINISHED


# A status reads by colour too (contrast 4.5:1 or more on white).
STATUS_COLOURS = {
    "placed": "#5b6475",
    "in_transit": "#0b5cad",
    "out_for_delivery": "#8a5a00",
    "delivered": "#1b7f3b",
    "cancelled": "#b00020",
}


@admin.register(Shipment)
class ShipmentAdmin(LargeTableAdmin):
    # What fits at 1280 px (a browser test); the rest is on the shipment page.
    list_display = (
        "tracking_code",
        "status_badge",
        "seller",
        "delivery_partner",
        "created_at",
    )
    list_filter = ("status", "livemode", "delivery_partner", "tags")

    @admin.display(description="status", ordering="status")
    def status_badge(self, shipment: Shipment) -> str:
        return format_html(
            '<strong class="status-{}" style="color:{}">{}</strong>',
            shipment.status,
            STATUS_COLOURS.get(shipment.status, "inherit"),
            shipment.get_status_display(),
        )

    # Exact matches on indexes (get_search_results): a substring search would
    # read every shipment.
    search_fields = ("tracking_code",)
    search_help_text = "A tracking code, a shipment id or a recipient's email."
    list_select_related = ("seller__user", "delivery_partner__user")
    inlines = (ShipmentEventInline,)
    # One order on the change page and on a finished shipment's view page.
    fields = (
        "tracking_code",
        "status",
        "content",
        "weight_kg",
        "destination_zip_code",
        "recipient_email",
        "recipient_phone",
        "tags",
        "seller",
        "delivery_partner",
        "estimated_delivery",
        "id",
        "created_at",
        "updated_at",
    )
    # Status and assignment change only through the services (transitions,
    # capacity, notifications); the admin shows them.
    readonly_fields = (
        "id",
        "tracking_code",
        "status",
        "seller",
        "delivery_partner",
        "created_at",
        "updated_at",
    )
    actions = ("allow_delivery_codes",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Shipment], search_term: str
    ) -> tuple[QuerySet[Shipment], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        if "@" in term:
            return queryset.filter(recipient_email=term.lower()), False
        try:
            return queryset.filter(pk=uuid.UUID(term)), False
        except ValueError:
            code = canonical_tracking_code(term) or term
            return queryset.filter(tracking_code=code), False

    # Delivered and cancelled shipments are finished: frozen here as in the
    # API (a view page with no Save and no Delete), so what the timeline and
    # the review refer to stays true. Nothing deletes shipments in bulk.
    def has_change_permission(
        self, request: HttpRequest, obj: Shipment | None = None
    ) -> bool:
        return _open(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(
        self, request: HttpRequest, obj: Shipment | None = None
    ) -> bool:
        return _open(obj) and super().has_delete_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Allow new delivery codes (locked after 3 codes)")
    def allow_delivery_codes(
        self, request: HttpRequest, queryset: QuerySet[Shipment]
    ) -> None:
        from shipping.services.delivery_codes import delivery_codes_allow

        count = delivery_codes_allow(shipment_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            f"{count} locked shipment(s) get a new code on their next delivery "
            "attempt; others were left alone.",
        )


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "instruction")
    search_fields = ("name",)


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("shipment", "rating", "created_at")
    list_filter = ("rating",)
    search_fields = ("shipment__tracking_code",)
    raw_id_fields = ("shipment",)


from shipping import (  # noqa: E402, F401  (registers their admins)
    admin_integrations,
    admin_outbox,
    admin_tokens,
)
