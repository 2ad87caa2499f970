"""``Idempotency-Key`` for creates: a repeat replays the first answer, once per key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.utils import timezone

from shipping.exceptions import IdempotencyKeyReused
from shipping.models import IdempotencyRecord, Seller

KEEP = timedelta(hours=24)
T = TypeVar("T")


def request_fingerprint(data: Any) -> str:
    """Return a stable hash of a request body (key order does not matter)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent_create(
    *,
    seller: Seller,
    key: str,
    fingerprint: str,
    create: Callable[[], T],
    render: Callable[[T], dict[str, Any]],
    status: int = 201,
) -> tuple[int, dict[str, Any]]:
    """Run ``create`` once per (seller, key); return (status, body) to answer with.

    The key's row is inserted in the same transaction as the creation. A
    concurrent repeat blocks on that insert until the first commits, then
    replays its stored answer; if the first fails, its row is rolled back and
    the repeat runs afresh. The same key with another body is refused.
    """
    IdempotencyRecord.objects.filter(
        seller=seller, key=key, created_at__lt=timezone.now() - KEEP
    ).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                seller=seller, key=key, request_hash=fingerprint
            )
            body = render(create())
            record.response_status = status
            record.response_body = body
            record.save(update_fields=["response_status", "response_body"])
            return status, body
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(seller=seller, key=key).first()
        if existing is None or existing.response_body is None:
            raise
    if existing.request_hash != fingerprint:
        raise IdempotencyKeyReused(attr="Idempotency-Key")
    return existing.response_status or status, existing.response_body
