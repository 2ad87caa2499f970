"""Abuse limits per client and per account; they fail open when Redis is down.

Each attempt takes its place in the limit's window atomically
(:mod:`fastship.counters`: exact under concurrency, one Redis round trip).
The counters live in the ``throttle`` cache (Redis when configured, with
0.2 s timeouts and no retries). A throttle must never take the API down with
it: on a Redis connection or timeout error the request is allowed, and after
a few such errors in a row a breaker skips the cache for a while. Any other
error is a bug and is raised, never mistaken for an outage.
"""

from __future__ import annotations

import hashlib
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from fastship.counters import Place, place_give_back, place_take
from fastship.counters import counter_breaker as cache_breaker
from shipping.models import normalize_email_address

__all__ = ["cache_breaker"]  # the tests reset it between tests


class FailOpenThrottle(SimpleRateThrottle):
    """A DRF rate limit counted atomically (:mod:`fastship.counters`), that
    allows the request when its counter store is out."""

    place: Place | None = None  # this attempt's, when one was taken

    def allow_request(self, request: Request, view: Any) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        limit, duration = self.parse_rate(self.rate)
        if limit is None or duration is None:
            return True
        self.num_requests, self.duration = limit, duration
        self.place = place_take(self.key, limit=limit, duration=duration)
        return self.place is None or self.place.allowed

    def wait(self) -> float | None:
        """Seconds until the current window ends (when refused)."""
        return self.place.seconds_left if self.place else None


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

    ``allow_request`` takes a place as every attempt does (so simultaneous
    attempts cannot all pass the check before any is counted); the caller
    then settles it: :meth:`settle` with ``failed=False`` gives the place
    back, ``failed=True`` (or :meth:`record_failure`) keeps it.
    """

    settled = False

    def settle(self, *, failed: bool) -> None:
        """Keep this attempt's place (a failure) or give it back; once."""
        if self.settled:
            return
        self.settled = True
        if self.place is not None and self.place.allowed and not failed:
            place_give_back(self.place.window_key)

    def record_failure(self, request: Request, view: Any) -> None:
        """This attempt failed: its place stays counted."""
        self.settle(failed=True)


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


class VerificationResendFormAccountThrottle(VerificationResendAccountThrottle):
    """The same per-account limit for the page's form (a Django request)."""

    def account_of(self, request: Any) -> object:
        return request.POST.get("email")


class VerificationClientThrottle(ClientThrottle):
    scope = "verification"
