"""Bearer tokens, with the user read by one query compiled once per process.

simplejwt's ``JWTAuthentication`` builds and compiles ``User.objects.get``
on every request: a sixth of a list request's CPU. This answers the same
(the user exists, is active, and the token's hash of the password hash still
matches, so a password reset revokes every token at once) from a compiled
query.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from fastship.compiled import CompiledQuery
from shipping.models import ApiKey, DeliveryPartner, Seller, User
from shipping.permissions import IsPartner, key_scope_check
from shipping.services.api_keys import MARK as KEY_PREFIX
from shipping.services.api_keys import api_key_authenticate

_COLUMNS = [field.attname for field in User._meta.concrete_fields]
# The seller's or partner's profile comes in the same query (a LEFT JOIN each):
# most views need it (``request.user.seller``), and a second query for it
# was a seventh of a create.
_PROFILES = {
    "seller": [f.attname for f in Seller._meta.concrete_fields if not f.primary_key],
    "partner": [
        f.attname for f in DeliveryPartner._meta.concrete_fields if not f.primary_key
    ],
}
_PROFILE_COLUMNS = [
    f"{profile}__{column}"
    for profile, columns in _PROFILES.items()
    for column in columns
]
_USER = CompiledQuery(
    lambda user: User.objects.filter(pk=user).values_list(*_COLUMNS, *_PROFILE_COLUMNS),
    {"user": User._meta.pk},
)
_PROFILE_MODELS = {"seller": Seller, "partner": DeliveryPartner}


def user_with_profile(row: dict[str, Any]) -> User:
    """The user of a row of ``_USER``, with its profile cached as ``user.seller``
    or ``user.partner`` (no query when a view reads it)."""
    values = [row[name] for name in _COLUMNS]
    user = User.from_db(DEFAULT_DB_ALIAS, _COLUMNS, values)
    for profile, columns in _PROFILES.items():
        own = [row[f"{profile}__{column}"] for column in columns]
        if all(value is None for value in own):
            continue  # no such profile (NOT NULL columns: all None means none)
        model = _PROFILE_MODELS[profile]
        loaded = model.from_db(DEFAULT_DB_ALIAS, ["user_id", *columns], [user.pk, *own])
        loaded._state.fields_cache["user"] = user
        user._state.fields_cache[profile] = loaded
    return user


# Access tokens whose signature and claims were checked, by their exact bytes:
# the same bytes verify the same way until "exp" (access tokens are never
# blacklisted; revocation is the password-hash claim, checked per request).
# Decoding and verifying a token again cost a twentieth of a list request.
_VERIFIED: dict[bytes, Any] = {}
_VERIFIED_MAX = 4096


class UserJWTAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token: bytes) -> Any:
        token = _VERIFIED.get(raw_token)
        if token is not None and token.payload.get("exp", 0) > time.time():
            return token
        token = super().get_validated_token(raw_token)  # raises when invalid
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[raw_token] = token
        return token

    def get_user(self, validated_token: Any) -> User:  # type: ignore[override]
        user_id = str(validated_token.get(api_settings.USER_ID_CLAIM, ""))
        if not (user_id.isascii() and user_id.isdigit()):  # simplejwt writes str(pk)
            raise InvalidToken(_("Token contained no recognizable user identification"))
        row = _USER.first(user=int(user_id))
        if row is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        user = user_with_profile(row)
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != (
            get_md5_hash_password(user.password)
        ):
            raise AuthenticationFailed(
                _("The user's password has been changed."), code="password_changed"
            )
        return user


class UserJWTScheme(SimpleJWTScheme):
    """The schema's bearer scheme, as for simplejwt's own class."""

    target_class = "shipping.authentication.UserJWTAuthentication"


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Api-Key <key>``: a seller's API key acts as the seller.

    The key alone (``Authorization: fsk_...``, as Swagger UI sends what was
    pasted into its *Authorize* box) is taken too. A header of this kind with
    an unknown, revoked or malformed key is a 401; other headers are left to
    the other authenticators.
    """

    keyword = "api-key"

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "").strip()
        kind, _, key = header.partition(" ")
        if kind.startswith(KEY_PREFIX) and not key:
            key = kind  # the bare key
        elif kind.lower() != self.keyword:
            return None
        api_key = api_key_authenticate(key.strip())
        if api_key is None:
            raise exceptions.AuthenticationFailed(
                "The API key is unknown, revoked or expired."
            )
        view = (getattr(request, "parser_context", None) or {}).get("view")
        key_scope_check(api_key, view, request.method or "GET")
        return api_key.seller.user, api_key

    def authenticate_header(self, request: Request) -> str:
        return "Api-Key"


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The schema's API-key scheme."""

    target_class = "shipping.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_requirement(
        self, auto_schema: Any
    ) -> dict[str, list[Any]] | list[dict[str, list[Any]]]:
        """Only where a seller's key works: not a partner's routes, and not
        what a view keeps for logins (``logins_only``, held by ``LoginsOnly``)."""
        view = auto_schema.view
        if any(isinstance(p, IsPartner) for p in view.get_permissions()):
            return []
        if auto_schema.method in getattr(view, "logins_only", ()):
            return []
        return {self.name: []}

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "A seller's API key from POST /api/v1/api-keys/: paste the key "
                "(`fsk_live_...`, or `fsk_test_...` for test mode); `Api-Key "
                "<key>` works as well. Each operation names the scope a key "
                "needs (`x-api-key-scope`); without it the answer is 403 "
                "`insufficient_scope`."
            ),
        }
