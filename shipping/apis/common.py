"""Helpers shared by the API views: strict input, zip-code fields, error docs."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from fastship.api.base import PublicApi, StrictSerializer
from shipping.models import ZIP_CODE, User

__all__ = ["PublicApi", "StrictSerializer", "current_user", "zip_code_field"]


def current_user(request: Request) -> User:
    """The authenticated user (the view's permissions guarantee one)."""
    user = request.user
    if not isinstance(user, User):
        raise TypeError("an authenticated user is required here")
    return user


def zip_code_field(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=10, validators=[ZIP_CODE], **kwargs)
