"""Records kept beside the domain: idempotency keys and the notification outbox."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from shipping.models.accounts import Seller


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
        WEBHOOK_DISABLED = "webhook_disabled"
        # A sign-up with the address of an account: its owner is told.
        ACCOUNT_EXISTS = "account_exists"

    class State(models.TextChoices):
        PENDING = "pending"
        # Claimed (committed) before the mail server is spoken to. Left here
        # past its lease: sent again automatically if its stage proves the
        # message never went out; otherwise it may have been sent, and waits
        # for an operator (re-sent from the admin, with a warning).
        SENDING = "sending"
        SENT = "sent"
        # Over the recipient's hourly limit: not sent until an operator
        # releases it from the admin.
        HELD = "held"

    class SendStage(models.TextChoices):
        # "" (none): not being sent, or claimed by a release before stages.
        CLAIMED = "claimed"
        CONNECTED = "connected"  # the mail server greeted us (and took a login)
        DATA_SENT = "data_sent"  # the message went out: the reply is the proof

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
    # How far the attempt in hand got (while ``sending``): a row whose worker
    # died before ``data_sent`` provably never gave the mail server the
    # message, and is sent again automatically after its lease.
    send_stage = models.CharField(
        max_length=16,
        choices=SendStage.choices,
        blank=True,
        default="",
        # Kept in the database: the previous release inserts rows without it.
        db_default="",
    )
    # A retry's time after a refused or failed connection (None: at once).
    next_attempt_at = models.DateTimeField(null=True, blank=True)

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
