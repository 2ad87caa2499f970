"""Secrets that reach people by mail: link tokens and delivery codes."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from shipping.exceptions import InvalidToken
from shipping.models import Shipment, User

VERIFY_SALT = "fastship.verify-email"
REVIEW_SALT = "fastship.review"
VERIFY_MAX_AGE = 3 * 24 * 3600
REVIEW_MAX_AGE = 30 * 24 * 3600


def email_verification_token(*, user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=VERIFY_SALT)


def email_verification_user(*, token: str) -> User:
    """Return the user a verification token names, or raise ``InvalidToken``."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
        return User.objects.get(pk=data["u"], email=data["e"])
    except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError):
        raise InvalidToken(attr="token") from None


def password_reset_token(*, user: User) -> str:
    # Django's generator hashes the password and last login: the token dies
    # when the password changes, so it works once.
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{uid}.{default_token_generator.make_token(user)}"


def password_reset_user(*, token: str) -> User:
    """Return the user a reset token is valid for, or raise ``InvalidToken``."""
    uid, _, secret = token.partition(".")
    try:
        user = User.objects.get(pk=int(force_str(urlsafe_base64_decode(uid))))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        raise InvalidToken(attr="token") from None
    if not user.is_active or not default_token_generator.check_token(user, secret):
        raise InvalidToken(attr="token")
    return user


def review_token(*, shipment: Shipment) -> str:
    return signing.dumps({"s": str(shipment.pk)}, salt=REVIEW_SALT)


def review_shipment(*, token: str) -> Shipment:
    """Return the delivered shipment of a review token, or raise ``InvalidToken``."""
    try:
        data = signing.loads(token, salt=REVIEW_SALT, max_age=REVIEW_MAX_AGE)
        shipment = Shipment.objects.select_related("delivery_partner__user").get(
            pk=data["s"]
        )
    except (
        signing.BadSignature,
        Shipment.DoesNotExist,
        KeyError,
        TypeError,
        ValueError,
    ):
        raise InvalidToken(attr="token") from None
    if shipment.status != Shipment.Status.DELIVERED:
        raise InvalidToken(attr="token")
    return shipment


def keyed_digest(message: str) -> bytes:
    """HMAC-SHA256 of ``message`` with the server's secret (codes and their hashes)."""
    return hmac.new(
        settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256
    ).digest()


def delivery_code(*, shipment_id: object, nonce: str) -> str:
    """Return the 6-digit delivery code that ``nonce`` stands for.

    The code is derived with the server's secret, so the outbox row that
    mails it holds only the nonce: neither the row nor a database dump shows
    a usable code, and the nonce is wiped once the mail is sent.
    """
    digest = keyed_digest(f"delivery-code:{shipment_id}:{nonce}")
    return f"{int.from_bytes(digest[:8], 'big') % 10**6:06d}"
