"""``Idempotency-Key`` for creates: a repeat replays the first answer, once per key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from shipping.exceptions import IdempotencyKeyReused
from shipping.models import IdempotencyRecord, Seller

KEEP = timedelta(hours=24)


def request_fingerprint(data: Any) -> str:
    """Return a stable hash of a request body (key order does not matter)."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class IdempotencyKey:
    """A create's ``Idempotency-Key`` and the fingerprint of its body."""

    key: str
    fingerprint: str


def key_in_mode(key: str, *, livemode: bool) -> str:
    """The key as stored: a test key's apart from the live ones (the same
    ``Idempotency-Key`` in both modes is two keys), within the column's 255."""
    if livemode:
        return key
    return "test:" + hashlib.sha256(key.encode()).hexdigest()


@dataclass
class Answer:
    """What a create answers: filled by the caller, or replayed from the first time."""

    status: int = 0
    body: dict[str, Any] | None = None
    replayed: bool = False

    def record(self, status: int, body: dict[str, Any]) -> None:
        self.status, self.body = status, body


@contextmanager
def idempotency_once(*, seller: Seller, key: str, fingerprint: str) -> Iterator[Answer]:
    """Run the ``with`` body once per (seller, key); else replay the first answer.

    The body creates (unless ``answer.replayed``) and calls ``answer.record``.
    The key's row is inserted in the same transaction as the creation. A
    concurrent repeat blocks on that insert until the first commits, then
    replays its stored answer; if the first fails, its row is rolled back and
    the repeat runs afresh. The same key with another body is refused.
    """
    IdempotencyRecord.objects.filter(
        seller=seller, key=key, created_at__lt=timezone.now() - KEEP
    ).delete()
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    seller=seller, key=key, request_hash=fingerprint
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(seller=seller, key=key).first()
            if existing is None or existing.response_body is None:
                raise
            if existing.request_hash != fingerprint:
                raise IdempotencyKeyReused(attr="Idempotency-Key") from None
            yield Answer(existing.response_status or 201, existing.response_body, True)
            return
        answer = Answer()
        yield answer
        if answer.body is None:
            raise RuntimeError("idempotency_once: the body recorded no answer")
        record.response_status = answer.status
        record.response_body = answer.body
        record.save(update_fields=["response_status", "response_body"])


def idempotency_replay(*, seller: Seller, key: IdempotencyKey) -> Answer | None:
    """The stored answer of a key used before (its create committed).

    Another body with the key is refused; a use older than 24 hours is
    forgotten (deleted) and None returned: the key counts as new.
    """
    existing = IdempotencyRecord.objects.filter(seller=seller, key=key.key).first()
    if existing is None:
        return None
    if existing.created_at < timezone.now() - KEEP:
        existing.delete()
        return None
    if existing.request_hash != key.fingerprint:
        raise IdempotencyKeyReused(attr="Idempotency-Key")
    return Answer(existing.response_status or 201, existing.response_body, True)
