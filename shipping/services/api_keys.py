"""Sellers' API keys: shown once, stored as a hash, usable until revoked.

The scheme is djangorestframework-api-key's (its key generator and SHA-512
hasher, fit for high-entropy keys): a key is a visible prefix and a secret,
``fsk_<8 characters>.<32 characters>``; the row keeps the prefix and a hash of
the whole key.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework_api_key.crypto import KeyGenerator

from shipping.exceptions import NotFound
from shipping.models import ApiKey, Seller, User

MARK = "fsk_"
KEY_FORM = re.compile(r"^fsk_[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}$")
# last_used_at is written at most this often per key (not on every request).
LAST_USED_EVERY = timedelta(minutes=1)
_generator = KeyGenerator(prefix_length=8, secret_key_length=32)


def api_key_create(*, seller: Seller, name: str) -> tuple[ApiKey, str]:
    """A new key for ``seller``: the row, and the key (never stored, shown once)."""
    prefix = MARK + _generator.get_prefix()
    key = f"{prefix}.{_generator.get_secret_key()}"
    api_key = ApiKey.objects.create(
        seller=seller, name=name, prefix=prefix, hashed_key=_generator.hash(key)
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
    """The live key that ``key`` is, with its seller's user; None if none is."""
    if not KEY_FORM.match(key):
        return None
    api_key = (
        ApiKey.objects.select_related("seller__user")
        .filter(prefix=key.partition(".")[0], revoked_at__isnull=True)
        .first()
    )
    if api_key is None or not _generator.verify(key, api_key.hashed_key):
        return None
    user = api_key.seller.user
    if not user.is_active or user.role != User.Role.SELLER:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or api_key.last_used_at < now - LAST_USED_EVERY:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
