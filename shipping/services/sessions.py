"""Sessions: a token pair at login, a refresh token rotated once, logout."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import make_password
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from fastship.hashing import hashing_slot
from shipping.exceptions import EmailNotVerified, InvalidRefreshToken
from shipping.models import User, normalize_email_address


def login_check(*, email: str, password: str) -> User | None:
    """The active user with this email and password, or None.

    The password is hashed holding no database connection and in a bounded
    slot (:mod:`fastship.hashing`: raises ``HashingBusy`` when none frees up);
    an unknown address is hashed all the same, so the time tells nothing.
    """
    user = User.objects.filter(email=normalize_email_address(email)).first()
    with hashing_slot():
        if user is None or not user.is_active:
            make_password(password)
            return None
        matched = user.check_password(password)
    return user if matched else None


def session_start(*, user: User) -> dict[str, str]:
    """A 15-minute access token and a refresh token for a verified ``user``."""
    if user.email_verified_at is None:
        raise EmailNotVerified()
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def refresh_token_lock(*, raw: Any) -> None:
    """Lock a refresh token's row for this transaction; refuse it if used already.

    Rotation blacklists the old token: without the lock, simultaneous
    refreshes with one token all pass the blacklist check before any of them
    blacklists it, and each gets a new working pair. Call inside
    ``transaction.atomic``; a token that does not parse is left to the caller.
    """
    from rest_framework_simplejwt.token_blacklist.models import (
        BlacklistedToken,
        OutstandingToken,
    )

    if not isinstance(raw, str):
        return
    try:
        jti = RefreshToken(raw).get("jti")  # type: ignore[arg-type]  # a str is fine
    except TokenError:
        return
    OutstandingToken.objects.select_for_update().filter(jti=jti).first()
    if BlacklistedToken.objects.filter(token__jti=jti).exists():
        raise InvalidToken()


def session_end(*, user: User, refresh: str) -> None:
    """Log out: ``user``'s refresh token stops working (another's is refused)."""
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]  # a str is fine
        if str(token.get("user_id")) != str(user.pk):
            raise TokenError("not yours")
        token.blacklist()
    except TokenError:
        raise InvalidRefreshToken(attr="refresh") from None
