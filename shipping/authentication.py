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
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from fastship.compiled import CompiledQuery
from shipping.models import User

_COLUMNS = [field.attname for field in User._meta.concrete_fields]
_USER = CompiledQuery(
    lambda user: User.objects.filter(pk=user).values_list(*_COLUMNS),
    {"user": User._meta.pk},
)


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
        user = User.from_db(DEFAULT_DB_ALIAS, list(row), list(row.values()))
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
