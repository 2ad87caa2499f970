from typing import Any

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from shipping.models import ApiKey, User

READS = frozenset({"GET", "HEAD", "OPTIONS"})


def required_scope(view: Any, method: str) -> str | None:
    """The API-key scope ``method`` on ``view`` needs (its ``key_scopes``,
    a read's scope serving HEAD and OPTIONS); None where a key has none."""
    scopes: dict[str, str] = getattr(view, "key_scopes", {})
    if method in READS and method not in scopes:
        method = "GET"
    return scopes.get(method)


def key_scope_check(api_key: ApiKey, view: Any, method: str) -> None:
    """Refuse a key without the scope (403 ``insufficient_scope``, naming it).

    Fails closed: a route that declares no scope for the method takes no key.
    A method the view does not have is left to its 405, and a login-only
    method to :class:`LoginsOnly`.
    """
    if view is None or not hasattr(view, method.lower()):
        return
    if method in getattr(view, "logins_only", ()):
        return
    needed = required_scope(view, method)
    if needed is None:
        raise insufficient_scope("API keys cannot do this; log in.")
    if needed not in api_key.scope_set:
        raise insufficient_scope(f"This API key lacks the scope {needed}.")


def insufficient_scope(message: str) -> PermissionDenied:
    """A 403 ``insufficient_scope``: an APIException, so that raised while
    authenticating, DRF leaves the request anonymous (not half-authenticated)."""
    return PermissionDenied(message, code="insufficient_scope")


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
