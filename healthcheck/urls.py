from django.urls import path

from healthcheck.views import readiness_view

urlpatterns = [
    path("health", readiness_view, name="readiness"),
    path("health/", readiness_view),
]
