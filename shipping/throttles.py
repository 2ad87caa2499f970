"""Abuse limits per client and per account; they fail open when Redis is down.

The counters live in the ``throttle`` cache (Redis when configured, with
0.2 s timeouts and no retries). A throttle must never take the API down with
it: on a Redis connection or timeout error the request is allowed, and after
a few such errors in a row a breaker skips the cache for a while, so a hung
Redis costs at most a few short timeouts per process. Any other error is a
bug and is raised, never mistaken for an outage.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from django.core.cache import caches
from django.utils.connection import ConnectionProxy
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from fastship.breaker import CircuitBreaker
from shipping.models import normalize_email_address

logger = logging.getLogger(__name__)
THROTTLE_CACHE = "throttle"
# The breaker of the one cache client the throttles use.
cache_breaker = CircuitBreaker(threshold=3, reset_seconds=30)
CACHE_OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError)


class FailOpenThrottle(SimpleRateThrottle):
    """A rate throttle that allows the request when its counter store is out."""

    # Django's own proxy for a cache alias, as DRF's default is for "default".
    cache = ConnectionProxy(caches, THROTTLE_CACHE)  # type: ignore[assignment]

    def allow_request(self, request: Request, view: Any) -> bool:
        return self.fail_open(
            lambda: super(FailOpenThrottle, self).allow_request(request, view)
        )

    def fail_open(self, call: Callable[[], bool]) -> bool:
        """Run a cache ``call``; a Redis outage (or an open breaker) gives True."""
        if not cache_breaker.allow():
            return True
        try:
            result = call()
        except CACHE_OUTAGE_ERRORS as error:
            cache_breaker.record_failure()
            logger.warning(
                "throttle %s failing open: %s", self.scope, type(error).__name__
            )
            return True
        cache_breaker.record_success()
        return result


class ClientThrottle(FailOpenThrottle):
    """Counts per client address."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {
            "scope": self.scope,
            "ident": self.get_ident(request),
        }


class AccountThrottle(FailOpenThrottle):
    """Counts per account, named by the ``email`` in the request body."""

    def account_of(self, request: Request) -> object:
        # A body that cannot be parsed raises ParseError here: a 400
        # parse_error, counted for no account and no breaker.
        data = request.data
        return data.get("email") if isinstance(data, dict) else None

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        email = self.account_of(request)
        if not isinstance(email, str) or not email.strip():
            return None
        # Hashed: a key stays short (an address may be 254 characters) and
        # Redis holds no email addresses.
        ident = hashlib.sha256(normalize_email_address(email).encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class UserThrottle(FailOpenThrottle):
    """Counts per authenticated user (the permissions run first)."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class ShipmentCreateThrottle(UserThrottle):
    """Shipment creates per seller: each one mails an address the seller chose."""

    scope = "shipment_create"


class LoginClientThrottle(ClientThrottle):
    scope = "login"


class FailureThrottle(FailOpenThrottle):
    """Counts only failures: an owner's right password does not use it up.

    Combine it with the throttle that names what is counted, first:
    ``class X(FailureThrottle, AccountThrottle)``.

    ``allow_request`` refuses once the window holds ``rate`` failures but
    records nothing; the view calls :meth:`record_failure` on a failed attempt.
    """

    def throttle_success(self) -> bool:
        return True  # checked, not counted

    def record_failure(self, request: Request, view: Any) -> None:
        """Add one failure for the account named in ``request``; fail open."""
        key = self.get_cache_key(request, view)
        _, duration = self.parse_rate(self.rate) if self.rate else (None, None)
        if key is None or duration is None:
            return

        def add() -> bool:
            now = self.timer()
            history = [
                stamp for stamp in self.cache.get(key, []) if stamp > now - duration
            ]
            self.cache.set(key, [now, *history], duration)
            return True

        self.fail_open(add)


class LoginAccountThrottle(FailureThrottle, AccountThrottle):
    scope = "login_account"


class AdminLoginClientThrottle(FailureThrottle, ClientThrottle):
    """Failed admin logins per client address."""

    scope = "admin_login"


class AdminLoginAccountThrottle(FailureThrottle, AccountThrottle):
    """Failed admin logins per account: the admin form names it ``username``."""

    scope = "admin_login_account"

    def account_of(self, request: Any) -> object:
        return request.POST.get("username")


class SignupClientThrottle(ClientThrottle):
    scope = "signup"


class PasswordResetClientThrottle(ClientThrottle):
    scope = "password_reset"


class PasswordResetAccountThrottle(AccountThrottle):
    scope = "password_reset_account"


class VerificationResendClientThrottle(ClientThrottle):
    scope = "verification_resend"


class VerificationResendAccountThrottle(AccountThrottle):
    scope = "verification_resend_account"


class VerificationClientThrottle(ClientThrottle):
    scope = "verification"
