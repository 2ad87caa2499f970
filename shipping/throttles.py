"""Abuse limits per client and per account; they fail open when Redis is down.

The counters live in the cache (Redis when configured). A throttle must never
take the API down with it: on a cache error the request is allowed, and a
breaker skips the cache for a while so a hung Redis costs no latency either.
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from fastship.breaker import CircuitBreaker
from shipping.models import normalize_email_address

logger = logging.getLogger(__name__)
cache_breaker = CircuitBreaker(threshold=1, reset_seconds=30)


class FailOpenThrottle(SimpleRateThrottle):
    """A rate throttle that allows the request when its counter store fails."""

    def allow_request(self, request: Request, view: Any) -> bool:
        if not cache_breaker.allow():
            return True
        try:
            allowed = super().allow_request(request, view)
        except Exception as error:
            cache_breaker.record_failure()
            logger.warning(
                "throttle %s failing open: %s", self.scope, type(error).__name__
            )
            return True
        cache_breaker.record_success()
        return allowed


class ClientThrottle(FailOpenThrottle):
    """Counts per client address."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        return self.cache_format % {
            "scope": self.scope,
            "ident": self.get_ident(request),
        }


class AccountThrottle(FailOpenThrottle):
    """Counts per account, named by the ``email`` in the request body."""

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        email = request.data.get("email") if isinstance(request.data, dict) else None
        if not isinstance(email, str) or not email.strip():
            return None
        return self.cache_format % {
            "scope": self.scope,
            "ident": normalize_email_address(email),
        }


class LoginClientThrottle(ClientThrottle):
    scope = "login"


class LoginAccountThrottle(AccountThrottle):
    scope = "login_account"


class SignupClientThrottle(ClientThrottle):
    scope = "signup"


class PasswordResetClientThrottle(ClientThrottle):
    scope = "password_reset"


class PasswordResetAccountThrottle(AccountThrottle):
    scope = "password_reset_account"


class VerificationClientThrottle(ClientThrottle):
    scope = "verification"
