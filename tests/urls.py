"""The project's URLs plus views that fail on purpose, for middleware tests."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path

from shipping.models import User


class DeliberateRollback(Exception):
    pass


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("deliberate failure for a test")


def rolled_back(request: HttpRequest) -> HttpResponse:
    try:
        with transaction.atomic():
            User.objects.create_user("rolled-back@example.com", "pw")
            raise DeliberateRollback
    except DeliberateRollback:
        return JsonResponse({"rolled_back": True}, status=409)


urlpatterns = [
    path("test/boom", boom),
    path("test/rollback", rolled_back),
    path("", include("fastship.urls")),
]
