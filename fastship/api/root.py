"""The API index at /api/v1/: where things are, for people and clients."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from fastship.api.base import PublicApi


class ApiRootApi(PublicApi):
    """List the entry points of the API (no authentication, no database)."""

    @extend_schema(
        responses=inline_serializer(
            "ApiRoot",
            {
                "name": serializers.CharField(),
                "version": serializers.CharField(),
                "health": serializers.URLField(),
                "docs": serializers.URLField(),
                "schema": serializers.URLField(),
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
                "docs": request.build_absolute_uri("/docs"),
                "schema": request.build_absolute_uri("/api/v1/schema/"),
            }
        )
