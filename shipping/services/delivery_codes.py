"""Delivery codes: issued per delivery attempt, stored hashed, guessed a few times."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from typing import Any

from shipping.exceptions import DomainError, InvalidVerificationCode, VerificationLocked
from shipping.models import DeliveryVerification, Shipment
from shipping.services.tokens import delivery_code, keyed_digest

MAX_CODE_ATTEMPTS = 5


# Codes per shipment (one per delivery attempt) until staff allow more: with
# 5 guesses each, at most 15 guesses in all.
MAX_CODES_PER_SHIPMENT = 3


def _code_hash(shipment_id: Any, code: str) -> str:
    return keyed_digest(f"{shipment_id}:{code}").hex()


def verification_start(*, shipment: Shipment) -> str | None:
    """Issue the next delivery code; return the nonce it is derived from.

    Only the code's hash is stored. After ``MAX_CODES_PER_SHIPMENT`` codes
    the verification is locked instead (None) until staff allow new codes.
    """
    verification, _ = DeliveryVerification.objects.select_for_update().get_or_create(
        shipment=shipment, defaults={"code_hash": ""}
    )
    if verification.codes_issued >= MAX_CODES_PER_SHIPMENT:
        verification.voided = True
        verification.save(update_fields=["voided"])
        return None
    nonce = secrets.token_urlsafe(16)
    code = delivery_code(shipment_id=shipment.pk, nonce=nonce)
    verification.code_hash = _code_hash(shipment.pk, code)
    verification.codes_issued += 1
    verification.failed_attempts = 0
    verification.voided = False
    verification.save()
    return nonce


def delivery_codes_allow(*, shipment_ids: Iterable[Any]) -> int:
    """Let locked shipments get codes again (staff); the next attempt issues one."""
    return DeliveryVerification.objects.filter(
        shipment_id__in=list(shipment_ids), voided=True
    ).update(codes_issued=0, failed_attempts=0)


def verification_check(*, shipment: Shipment, code: str) -> DomainError | None:
    """Return the error of a wrong code (after counting it), or None if right."""
    verification = (
        DeliveryVerification.objects.select_for_update()
        .filter(shipment=shipment)
        .first()
    )
    if verification is None or verification.voided:
        return VerificationLocked(attr="verification_code")
    if hmac.compare_digest(verification.code_hash, _code_hash(shipment.pk, code)):
        verification.delete()  # used: it cannot deliver twice
        return None
    verification.failed_attempts += 1
    verification.voided = verification.failed_attempts >= MAX_CODE_ATTEMPTS
    verification.save(update_fields=["failed_attempts", "voided"])
    if verification.voided:
        return VerificationLocked(attr="verification_code")
    return InvalidVerificationCode(attr="verification_code")
