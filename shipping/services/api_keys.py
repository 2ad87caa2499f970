"""Sellers' API keys: shown once, stored as a hash, usable until revoked.

The scheme is djangorestframework-api-key's (its key generator and SHA-512
hasher, fit for high-entropy keys): a key is a visible prefix and a secret,
``fsk_live_<8 characters>.<32 characters>`` (``fsk_test_`` for a test key);
the row keeps the prefix (``fsk_l_<8>`` / ``fsk_t_<8>``, shown as the key
begins) and a hash of the whole key. Keys made before modes existed
(``fsk_<8>.<32>``) are live keys and keep working. A key holds scopes and may
expire.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from rest_framework_api_key.crypto import KeyGenerator

from shipping.exceptions import NotFound
from shipping.models import ALL_SCOPES, ApiKey, Seller, User
from shipping.models.integrations import KEY_MODES

MARK = "fsk_"
KEY_FORM = re.compile(r"^fsk_(?:(test|live)_)?([A-Za-z0-9]{8})\.[A-Za-z0-9]{32}$")

# last_used_at is written at most this often per key (not on every request).
LAST_USED_EVERY = timedelta(minutes=1)
_generator = KeyGenerator(prefix_length=8, secret_key_length=32)


def api_key_create(
    *,
    seller: Seller,
    name: str,
    livemode: bool = True,
    scopes: list[str] | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key for ``seller``: the row, and the key (never stored, shown once).

    ``scopes`` default to all of them; a key may expire at ``expires_at``.
    """
    mode = "live" if livemode else "test"
    random_part = _generator.get_prefix()
    key = f"{MARK}{mode}_{random_part}.{_generator.get_secret_key()}"
    api_key = ApiKey.objects.create(
        seller=seller,
        name=name,
        prefix=MARK + KEY_MODES[mode] + random_part,
        hashed_key=_generator.hash(key),
        livemode=livemode,
        scopes=" ".join(sorted(set(scopes))) if scopes else ALL_SCOPES,
        expires_at=expires_at,
    )
    return api_key, key


def api_keys_revoke_all(*, user: User) -> int:
    """Revoke every live key of ``user`` (a seller); how many there were."""
    return ApiKey.objects.filter(seller_id=user.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def api_key_revoke(*, seller: Seller, key_id: Any) -> None:
    """Revoke one of ``seller``'s keys; it stops working at once."""
    updated = ApiKey.objects.filter(
        pk=key_id, seller=seller, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not updated:  # unknown, already revoked, or another seller's: the same 404
        raise NotFound("No such API key.")


def api_key_authenticate(key: str) -> ApiKey | None:
    """The working key that ``key`` is (not revoked, not expired), with its
    seller's user; None if none is."""
    form = KEY_FORM.match(key)
    if not form:
        return None
    mode, random_part = form.groups()
    now = timezone.now()
    api_key = (
        ApiKey.objects.select_related("seller__user")
        .filter(
            prefix=MARK + KEY_MODES.get(mode, "") + random_part,
            revoked_at__isnull=True,
        )
        .first()
    )
    if api_key is None or not _generator.verify(key, api_key.hashed_key):
        return None
    if api_key.expires_at is not None and api_key.expires_at <= now:
        return None
    user = api_key.seller.user
    if not user.is_active or user.role != User.Role.SELLER:
        return None
    if api_key.last_used_at is None or api_key.last_used_at < now - LAST_USED_EVERY:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
