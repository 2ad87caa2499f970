"""Accounts: sign-up, email verification, password reset, profiles, logout."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction
from django.utils import timezone

from shipping.exceptions import CapacityBelowLoad
from shipping.models import (
    DeliveryPartner,
    Notification,
    Seller,
    ServiceableZipCode,
    User,
    normalize_email_address,
    normalize_zip_code,
)
from shipping.services.api_keys import api_keys_revoke_all
from shipping.services.notifications import absolute_url, notification_queue
from shipping.services.tokens import (
    email_verification_token,
    email_verification_user,
    password_reset_token,
    password_reset_user,
)


def _user_create(*, email: str, password: str, name: str, role: str) -> User | None:
    """A new user; None when the address has an account already.

    A sign-up must not tell who has an account (staff included): the caller
    answers alike, the owner of the address is told by mail instead, and the
    password is hashed all the same, so the answer takes as long.
    """
    email = normalize_email_address(email)
    validate_password(password, user=User(email=email, name=name))
    existing = User.objects.filter(email=email).first()
    if existing is None:
        try:
            with transaction.atomic():
                return User.objects.create_user(email, password, name=name, role=role)
        except IntegrityError:  # the same email signed up at the same moment
            existing = User.objects.filter(email=email).first()
    make_password(password)
    if existing is not None and existing.is_active:
        _account_exists_mail_queue(user=existing)
    return None


def _account_exists_mail_queue(*, user: User) -> None:
    token = password_reset_token(user=user)
    notification_queue(
        kind=Notification.Kind.ACCOUNT_EXISTS,
        recipient=user.email,
        context={"secret_link": absolute_url(f"/reset-password/{token}/")},
    )


def _verification_mail_queue(*, user: User) -> None:
    token = email_verification_token(user=user)
    # No name in account mails: whoever signs up chooses it (a phishing lure
    # in a mail from us to a stranger's address).
    notification_queue(
        kind=Notification.Kind.VERIFY_EMAIL,
        recipient=user.email,
        context={
            "secret_link": absolute_url(
                f"/api/v1/auth/verify-email/?token={quote(token)}"
            ),
        },
    )


@transaction.atomic
def seller_create(
    *, name: str, email: str, password: str, address: str, zip_code: str
) -> Seller:
    """Create a seller account and send the verification email.

    An address with an account already gets a mail saying so instead, and
    the seller returned is not saved (the answer is the same either way).
    """
    user = _user_create(
        email=email, password=password, name=name, role=User.Role.SELLER
    )
    if user is None:
        unsaved = User(email=normalize_email_address(email), name=name)
        return Seller(user=unsaved, address=address, zip_code=zip_code)
    seller = Seller.objects.create(user=user, address=address, zip_code=zip_code)
    _verification_mail_queue(user=user)
    return seller


@transaction.atomic
def partner_create(
    *,
    name: str,
    email: str,
    password: str,
    serviceable_zip_codes: Iterable[str],
    max_handling_capacity: int,
) -> DeliveryPartner:
    """Create a delivery-partner account, pending approval, and send the
    verification email. It is assigned shipments once staff approve it."""
    user = _user_create(
        email=email, password=password, name=name, role=User.Role.PARTNER
    )
    codes = sorted({normalize_zip_code(code) for code in serviceable_zip_codes})
    if user is None:  # an account exists: see seller_create
        unsaved = User(email=normalize_email_address(email), name=name)
        partner = DeliveryPartner(
            user=unsaved, max_handling_capacity=max_handling_capacity
        )
    else:
        partner = DeliveryPartner.objects.create(
            user=user, max_handling_capacity=max_handling_capacity
        )
        _zip_codes_set(partner=partner, zip_codes=codes)
        _verification_mail_queue(user=user)
    partner.zip_code_list = codes  # type: ignore[attr-defined]
    return partner


def partners_approve(*, partner_ids: Iterable[int]) -> int:
    """Let staff-approved partners receive shipments; return how many changed.

    Already approved partners keep their first approval time.
    """
    return DeliveryPartner.objects.filter(
        pk__in=list(partner_ids), approved_at__isnull=True
    ).update(approved_at=timezone.now())


def _zip_codes_set(*, partner: DeliveryPartner, zip_codes: Iterable[str]) -> None:
    wanted = {normalize_zip_code(code) for code in zip_codes}
    partner.zip_codes.exclude(zip_code__in=wanted).delete()
    existing = set(partner.zip_codes.values_list("zip_code", flat=True))
    ServiceableZipCode.objects.bulk_create(
        ServiceableZipCode(partner=partner, zip_code=code)
        for code in sorted(wanted - existing)
    )


def user_verify_email(*, token: str) -> User:
    """Mark the email of the token's user verified (again is fine)."""
    user = email_verification_user(token=token)
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
    return user


@transaction.atomic
def verification_mail_resend(*, email: str) -> None:
    """Mail a new verification link to an unverified account; say nothing either way."""
    user = User.objects.filter(
        email=normalize_email_address(email),
        is_active=True,
        email_verified_at__isnull=True,
    ).first()
    if user is not None:
        _verification_mail_queue(user=user)


@transaction.atomic
def password_reset_request(*, email: str) -> None:
    """Send a reset link if the account exists; say nothing either way."""
    user = User.objects.filter(
        email=normalize_email_address(email), is_active=True
    ).first()
    if user is None:
        return
    token = password_reset_token(user=user)
    notification_queue(
        kind=Notification.Kind.PASSWORD_RESET,
        recipient=user.email,
        context={"secret_link": absolute_url(f"/reset-password/{token}/")},
    )


@transaction.atomic
def password_reset_confirm(*, token: str, password: str) -> User:
    """Set a new password with a reset token (which then stops working).

    Every refresh token and API key of the account is revoked: a reset ends
    all sessions and integrations (the new password makes new ones). The
    token came by mail, so the reset also proves the address is the user's:
    it is marked verified (whoever signed up with it first is locked out
    with the old password).
    """
    user = password_reset_user(token=token)
    validate_password(password, user=user)
    user.set_password(password)
    fields = ["password"]
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        fields.append("email_verified_at")
    user.save(update_fields=fields)
    user_sessions_revoke(user=user)
    return user


def user_sessions_revoke(*, user: User) -> int:
    """End every session of ``user``: refresh tokens blacklisted, API keys
    revoked (access tokens lapse within 15 minutes, or at once when the
    password changed). Returns how many keys were revoked."""
    user_tokens_revoke(user=user)
    return api_keys_revoke_all(user=user)


def user_tokens_revoke(*, user: User) -> None:
    """Blacklist every outstanding refresh token of ``user``."""
    from rest_framework_simplejwt.token_blacklist.models import (
        BlacklistedToken,
        OutstandingToken,
    )

    outstanding = OutstandingToken.objects.filter(
        user=user, blacklistedtoken__isnull=True
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )


@transaction.atomic
def profile_update(
    *,
    user: User,
    name: str | None = None,
    address: str | None = None,
    zip_code: str | None = None,
    serviceable_zip_codes: Iterable[str] | None = None,
    max_handling_capacity: int | None = None,
) -> User:
    """Update the caller's own profile (the view checks what the role may set)."""
    if name is not None:
        user.name = name
        user.save(update_fields=["name"])
    if user.role == User.Role.SELLER and (address is not None or zip_code is not None):
        seller = user.seller
        seller.address = address if address is not None else seller.address
        seller.zip_code = zip_code if zip_code is not None else seller.zip_code
        seller.save(update_fields=["address", "zip_code"])
    if user.role == User.Role.PARTNER:
        partner = DeliveryPartner.objects.select_for_update().get(pk=user.pk)
        if max_handling_capacity is not None:
            if max_handling_capacity < partner.active_shipments:
                raise CapacityBelowLoad(attr="max_handling_capacity")
            partner.max_handling_capacity = max_handling_capacity
            partner.save(update_fields=["max_handling_capacity"])
        if serviceable_zip_codes is not None:
            _zip_codes_set(partner=partner, zip_codes=serviceable_zip_codes)
    return user
