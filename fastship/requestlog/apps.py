from django.apps import AppConfig


class RequestLogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fastship.requestlog"
    label = "requestlog"
    verbose_name = "Request logs"
