"""Shipments, their timeline, tags, delivery verification and reviews."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import JSONField, Q, Value
from django.utils import timezone

from shipping.models.accounts import E164, ZIP_CODE, DeliveryPartner, Seller
from shipping.tracking_codes import new_tracking_code  # the migrations name it here


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
    # The label's address block: never shown on public pages.
    recipient_name = models.CharField(max_length=100, blank=True, db_default="")
    recipient_address_line1 = models.CharField(
        max_length=200, blank=True, db_default=""
    )
    recipient_address_line2 = models.CharField(
        max_length=200, blank=True, db_default=""
    )
    # The seller's own id for it (an order number): unique per seller and mode.
    reference = models.CharField(max_length=100, blank=True, db_default="")
    metadata = models.JSONField(
        default=dict, blank=True, db_default=Value({}, JSONField())
    )
    # False for a test key's shipment: no partner carries it, no recipient
    # hears of it, and live keys never see it (nor test keys live ones).
    livemode = models.BooleanField(default=True, db_default=True)
    # Looked up by the owner's list indexes below, which they lead.
    seller = models.ForeignKey(
        Seller, on_delete=models.PROTECT, related_name="shipments", db_index=False
    )
    delivery_partner = models.ForeignKey(
        DeliveryPartner,
        on_delete=models.PROTECT,
        related_name="shipments",
        db_index=False,
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="shipments")
    estimated_delivery = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(weight_kg__gt=0) & Q(weight_kg__lte=25),
                name="shipment_weight_range",
            ),
            # A reference is the seller's order number: one shipment each.
            models.UniqueConstraint(
                fields=["seller", "livemode", "reference"],
                condition=~Q(reference=""),
                name="shipment_reference_unique",
            ),
        ]
        # Each owner's list in its order (shipping/selectors/lists.py): newest
        # first, by status, and by last change (updated_since).
        indexes: ClassVar[list[models.Index]] = [
            # Every shipment, newest first (the admin's list), and its search.
            models.Index(fields=["-created_at", "-id"], name="shipment_created_idx"),
            models.Index(fields=["recipient_email"], name="shipment_recipient_idx"),
            models.Index(
                fields=["status", "-created_at", "-id"], name="shipment_status_idx"
            ),
            *(
                index
                for owner in ("seller", "delivery_partner")
                for index in (
                    models.Index(
                        fields=[owner, "-created_at", "-id"],
                        name=f"shipment_{owner[-7:]}_list_idx",
                    ),
                    models.Index(
                        fields=[owner, "status", "-created_at", "-id"],
                        name=f"shipment_{owner[-7:]}_status_idx",
                    ),
                    models.Index(
                        fields=[owner, "updated_at", "id"],
                        name=f"shipment_{owner[-7:]}_sync_idx",
                    ),
                )
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} ({self.status})"


class ShipmentEvent(models.Model):
    """One entry of a shipment's timeline: appended, never edited."""

    shipment = models.ForeignKey(
        Shipment, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    status = models.CharField(max_length=20, choices=Shipment.Status.choices)
    location_zip_code = models.CharField(max_length=10, blank=True)
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar[list[str]] = ["created_at", "id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["shipment", "created_at", "id"], name="event_timeline_idx"
            ),
            # The admin home's deliveries per day: only those rows, by time.
            models.Index(
                fields=["created_at"],
                condition=models.Q(status="delivered"),
                name="event_delivered_idx",
            ),
        ]

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
