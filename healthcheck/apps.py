from django.apps import AppConfig


class HealthcheckConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "healthcheck"
    verbose_name = "Health checks"

    def ready(self) -> None:
        from healthcheck import system_checks  # noqa: F401 - registers the checks
        from healthcheck.checks import register_infrastructure_checks

        register_infrastructure_checks()
