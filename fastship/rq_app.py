"""django-rq's app, named for operators (``INSTALLED_APPS`` lists this config).

Its own module: a second ``AppConfig`` in ``fastship/apps.py`` would make
Django stop choosing ``FastShipConfig`` for the ``fastship`` app by itself.
"""

from __future__ import annotations

from django.apps import AppConfig


class BackgroundJobsConfig(AppConfig):
    """django-rq, named for operators: the admin lists it as "Background jobs"
    with its dashboard as "Queues, workers and jobs", not "Django_Rq" and
    "Django-RQ"."""

    name = "django_rq"
    label = "django_rq"
    verbose_name = "Background jobs"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from django_rq.models import Dashboard

        meta = Dashboard._meta
        meta.verbose_name = meta.verbose_name_plural = "Queues, workers and jobs"
