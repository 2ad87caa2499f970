from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from shipping.models import ApiKey, User


class IsSeller(BasePermission):
    message = "Only sellers can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(
            request.user.is_authenticated and request.user.role == User.Role.SELLER
        )


class IsPartner(BasePermission):
    message = "Only delivery partners can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(
            request.user.is_authenticated and request.user.role == User.Role.PARTNER
        )


class IsSellerOrPartner(BasePermission):
    message = "Only sellers and delivery partners can do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(
            request.user.is_authenticated
            and request.user.role in (User.Role.SELLER, User.Role.PARTNER)
        )


class LoginsOnly(BasePermission):
    """The methods a view lists in ``logins_only`` refuse an API key: they need
    a login (creating keys). The schema offers no key there either."""

    message = "An API key cannot create API keys; log in."

    def has_permission(self, request: Request, view: Any) -> bool:
        return not (
            request.method in getattr(view, "logins_only", ())
            and isinstance(request.auth, ApiKey)
        )
