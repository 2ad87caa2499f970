"""Shipping domain models. The user model comes first: email is the login."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from shipping.tracking_codes import new_tracking_code  # the migrations name it here

E164 = RegexValidator(
    r"^\+[1-9]\d{6,14}$", "Enter a phone number in E.164 form (+4915112345678)."
)
ZIP_CODE = RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$", "Enter a valid zip code.")


def normalize_zip_code(zip_code: str) -> str:
    """Return ``zip_code`` as stored and matched: trimmed, upper-case."""
    return zip_code.strip().upper()


def normalize_email_address(email: str) -> str:
    """Return ``email`` stripped and lower-cased: logins ignore case."""
    return email.strip().lower()


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


class Tag(models.Model):
    """A handling tag with its instruction (seeded by a data migration)."""

    name = models.CharField(max_length=32, unique=True)
    instruction = models.CharField(max_length=200)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name


class Shipment(models.Model):
    class Status(models.TextChoices):
        PLACED = "placed", "Placed"
        IN_TRANSIT = "in_transit", "In transit"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tracking_code = models.CharField(
        max_length=32, unique=True, default=new_tracking_code
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PLACED
    )
    content = models.CharField(max_length=500)
    weight_kg = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(0.01), MaxValueValidator(25)],
    )
    destination_zip_code = models.CharField(max_length=10, validators=[ZIP_CODE])
    recipient_email = models.EmailField()
    recipient_phone = models.CharField(max_length=16, blank=True, validators=[E164])
    seller = models.ForeignKey(
        Seller, on_delete=models.PROTECT, related_name="shipments"
    )
    delivery_partner = models.ForeignKey(
        DeliveryPartner, on_delete=models.PROTECT, related_name="shipments"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="shipments")
    estimated_delivery = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(weight_kg__gt=0) & Q(weight_kg__lte=25),
                name="shipment_weight_range",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["seller", "-created_at"], name="shipment_seller_idx"),
            models.Index(
                fields=["delivery_partner", "-created_at"], name="shipment_partner_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} ({self.status})"


class ShipmentEvent(models.Model):
    """One entry of a shipment's timeline: appended, never edited."""

    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="events"
    )
    status = models.CharField(max_length=20, choices=Shipment.Status.choices)
    location_zip_code = models.CharField(max_length=10, blank=True)
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.status} at {self.created_at:%Y-%m-%d %H:%M}"


class DeliveryVerification(models.Model):
    """The current delivery code of a shipment: only its hash is stored."""

    shipment = models.OneToOneField(
        Shipment, on_delete=models.CASCADE, related_name="verification"
    )
    code_hash = models.CharField(max_length=128)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    # Codes issued (one per delivery attempt); capped until staff reset it.
    codes_issued = models.PositiveSmallIntegerField(default=0)
    voided = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"code for {self.shipment_id}"


class Review(models.Model):
    shipment = models.OneToOneField(
        Shipment, on_delete=models.CASCADE, related_name="review"
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5),
                name="review_rating_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}/5 for {self.shipment_id}"


class IdempotencyRecord(models.Model):
    """A seller's ``Idempotency-Key``: the request it answered, kept 24 hours."""

    seller = models.ForeignKey(
        Seller, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["seller", "key"], name="idempotency_seller_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.key


class Notification(models.Model):
    """The outbox: an email to send, written in the transaction that causes it."""

    class Kind(models.TextChoices):
        VERIFY_EMAIL = "verify_email"
        PASSWORD_RESET = "password_reset"  # noqa: S105 - a kind of email
        SHIPMENT_PLACED = "shipment_placed"
        OUT_FOR_DELIVERY = "out_for_delivery"
        DELIVERED = "delivered"
        CANCELLED = "cancelled"

    class State(models.TextChoices):
        PENDING = "pending"
        # Claimed (committed) before the mail server is spoken to: a row left
        # here past its lease may have been sent, and is never sent again
        # automatically (an operator re-sends it from the admin).
        SENDING = "sending"
        SENT = "sent"
        # Over the recipient's hourly limit: not sent until an operator
        # releases it from the admin.
        HELD = "held"

    kind = models.CharField(max_length=32, choices=Kind.choices)
    recipient = models.EmailField()
    context = models.JSONField(default=dict)
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["state", "created_at"], name="notification_pending_idx"
            ),
            # The per-recipient hourly limit counts by lower-cased address.
            models.Index(
                Lower("recipient"), "created_at", name="notification_recipient_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.state})"
