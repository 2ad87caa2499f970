from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ShippingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "shipping"
    verbose_name = "Shipping"

    def ready(self) -> None:
        from healthcheck.readiness import register_check
        from shipping import checks  # noqa: F401  (registers the system checks)
        from shipping.health import OutboxCheck

        register_check(OutboxCheck)


class ShippingAdminConfig(admin_apps.AdminConfig):
    """Django's admin app, with FastShip's site (login lockout, titles)."""

    default = False
    default_site = "shipping.admin_site.FastShipAdminSite"
