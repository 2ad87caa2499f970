"""Helpers shared by the API views: strict input, zip-code fields, error docs."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from fastship.api.base import PublicApi, StrictSerializer
from shipping.models import ZIP_CODE, ApiKey, User

__all__ = [
    "PublicApi",
    "StrictSerializer",
    "current_user",
    "request_livemode",
    "zip_code_field",
]

# The scopes of a shipments route, by method.
SHIPMENT_READ = {"GET": "shipments:read"}
SHIPMENT_WRITE = {"POST": "shipments:write", "DELETE": "shipments:write"}


def current_user(request: Request) -> User:
    """The authenticated user (the view's permissions guarantee one)."""
    user = request.user
    if not isinstance(user, User):
        raise TypeError("an authenticated user is required here")
    return user


def request_livemode(request: Request) -> bool:
    """False for a test key's request (it sees and makes test shipments only);
    a live key's and a login's are live."""
    auth = request.auth
    return not isinstance(auth, ApiKey) or auth.livemode


def zip_code_field(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(max_length=10, validators=[ZIP_CODE], **kwargs)
