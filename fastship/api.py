"""The API index at /api/v1/: where things are, for people and clients."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class ApiRootApi(APIView):
    """List the entry points of the API (no authentication, no database)."""

    authentication_classes: list[Any] = []  # noqa: RUF012 - DRF's own attribute
    permission_classes = [AllowAny]  # noqa: RUF012 - DRF's own attribute

    @extend_schema(
        responses=inline_serializer(
            "ApiRoot",
            {
                "name": serializers.CharField(),
                "version": serializers.CharField(),
                "health": serializers.URLField(),
            },
        ),
        tags=["public"],
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "name": "FastShip API",
                "version": "v1",
                "health": request.build_absolute_uri("/api/v1/health"),
            }
        )
