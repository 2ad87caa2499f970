from django.apps import AppConfig


class RequestLogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fastship.requestlog"
    label = "requestlog"
    verbose_name = "Request logs"

    def ready(self) -> None:
        from fastship.requestlog.health import RequestLogShipperCheck
        from healthcheck.readiness import register_check

        register_check(RequestLogShipperCheck)
