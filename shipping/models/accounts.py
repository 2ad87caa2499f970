"""Accounts: users with roles, sellers, delivery partners, the zip codes served."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

E164 = RegexValidator(
    r"^\+[1-9]\d{6,14}$", "Enter a phone number in E.164 form (+4915112345678)."
)


ZIP_CODE = RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$", "Enter a valid zip code.")


def normalize_zip_code(zip_code: str) -> str:
    """Return ``zip_code`` as stored and matched: trimmed, upper-case."""
    return zip_code.strip().upper()


# Characters that show as nothing: one in an address made a second account for
# the same mailbox (a@x.org and a\u200b@x.org).
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_PLAIN_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")


def normalize_email_address(email: str) -> str:
    """Return ``email`` as stored and matched: logins ignore case.

    Stripped, lower-cased, without invisible characters, and a quoted local
    part that needs no quotes unquoted (``"ann"@x.org`` is ``ann@x.org``):
    addresses that reach one mailbox are one account.
    """
    address = email.translate(_INVISIBLE).strip().lower()
    local, at, domain = address.rpartition("@")
    if at and len(local) > 2 and local.startswith('"') and local.endswith('"'):
        inner = local[1:-1]
        if _PLAIN_LOCAL.match(inner) and ".." not in inner:
            address = f"{inner}@{domain}"
    return address


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email_address(username or ""))

    def create_user(
        self, email: str, password: str | None = None, **fields: Any
    ) -> User:
        """Create a user who logs in with ``email`` (case-insensitive)."""
        if not email or not email.strip():
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email_address(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(
        self, email: str, password: str | None = None, **fields: Any
    ) -> User:
        """Create a staff superuser."""
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        fields.setdefault("role", User.Role.STAFF)
        fields.setdefault("email_verified_at", timezone.now())
        if not fields["is_staff"] or not fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff and is_superuser.")
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in: seller, delivery partner or staff."""

    class Role(models.TextChoices):
        SELLER = "seller", "Seller"
        PARTNER = "partner", "Delivery partner"
        STAFF = "staff", "Staff"

    email = models.EmailField("email address", max_length=254, unique=True)
    name = models.CharField(max_length=150, blank=True)
    # Stored, so logging a request never needs a query to know the role.
    role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(Lower("email"), name="user_email_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email_address(self.email)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Stored lower-case so lookups by email use the plain index too.
        self.email = normalize_email_address(self.email)
        super().save(*args, **kwargs)


class Seller(models.Model):
    """A seller's profile: who ships, from where."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="seller"
    )
    address = models.CharField(max_length=300)
    zip_code = models.CharField(max_length=10, validators=[ZIP_CODE])

    def __str__(self) -> str:
        return self.user.name or self.user.email


class DeliveryPartner(models.Model):
    """A delivery partner's profile: where it delivers and how much it can carry."""

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, primary_key=True, related_name="partner"
    )
    max_handling_capacity = models.PositiveIntegerField(
        validators=[MinValueValidator(1)]
    )
    # Shipments assigned and neither delivered nor cancelled; kept by the services
    # in the same transaction as the change, bounded by the database.
    active_shipments = models.PositiveIntegerField(default=0)
    # A partner signs up itself; until staff approve it in the admin it is
    # assigned nothing, so it never sees a recipient's address, email or phone.
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(max_handling_capacity__gte=1),
                name="partner_capacity_positive",
            ),
            models.CheckConstraint(
                condition=Q(active_shipments__lte=F("max_handling_capacity")),
                name="partner_within_capacity",
            ),
        ]

    def __str__(self) -> str:
        return self.user.name or self.user.email

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None


class ServiceableZipCode(models.Model):
    partner = models.ForeignKey(
        DeliveryPartner, on_delete=models.CASCADE, related_name="zip_codes"
    )
    zip_code = models.CharField(max_length=10, validators=[ZIP_CODE], db_index=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["partner", "zip_code"], name="partner_zip_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.zip_code
