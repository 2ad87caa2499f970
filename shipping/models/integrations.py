"""Seller integrations: API keys, webhook endpoints and their delivery log."""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.db import models
from django.utils import timezone

from shipping.models.accounts import Seller

# What an API key may be allowed to do; each API operation needs one of them.
SCOPES = {
    "shipments:read": "Read shipments, their timelines and labels.",
    "shipments:write": "Create, cancel, tag and simulate shipments.",
    "webhooks:manage": "Register, change, test and read webhook endpoints.",
    "account:read": "Read the account (GET /me/) and the list of API keys.",
    "account:write": "Change the account (PATCH /me/) and revoke one API key.",
}
ALL_SCOPES = " ".join(SCOPES)
# A key's mode as its stored prefix abbreviates it (the column holds 16
# characters): fsk_test_AbCd1234 is stored fsk_t_AbCd1234.
KEY_MODES = {"live": "l_", "test": "t_"}
_SHOWN_MODE = {f"fsk_{short}": f"fsk_{mode}_" for mode, short in KEY_MODES.items()}


class ApiKey(models.Model):
    """A seller's long-lived key: a visible prefix and a hash of the whole key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    seller = models.ForeignKey(
        Seller, on_delete=models.CASCADE, related_name="api_keys", db_index=False
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed_key = models.CharField(max_length=200, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # What the key may do: space-separated scopes (keys made before scopes
    # existed hold all of them).
    scopes = models.CharField(max_length=200, default=ALL_SCOPES, db_default=ALL_SCOPES)
    expires_at = models.DateTimeField(null=True, blank=True)
    # A test key (fsk_test_...) sees and makes test shipments only.
    livemode = models.BooleanField(default=True, db_default=True)

    class Meta:
        verbose_name = "API key"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["seller", "-created_at", "-id"], name="apikey_seller_list_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.shown_prefix})"

    @property
    def shown_prefix(self) -> str:
        """How the key begins (``fsk_test_AbCd1234``), from the stored prefix
        (``fsk_t_AbCd1234``: the column holds 16 characters)."""
        head = self.prefix[:6]
        shown = _SHOWN_MODE.get(head)
        return shown + self.prefix[6:] if shown else self.prefix

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(self.scopes.split())

    @property
    def scope_list(self) -> list[str]:
        return sorted(self.scope_set)

    @property
    def log_label(self) -> str:
        """What the request log records of this credential: never the key."""
        return f"api-key:{self.shown_prefix}"


class WebhookEndpoint(models.Model):
    """Where a seller wants events pushed, signed with its secret."""

    class Event(models.TextChoices):
        SHIPMENT_CREATED = "shipment.created"
        SHIPMENT_STATUS_CHANGED = "shipment.status_changed"
        SHIPMENT_CANCELLED = "shipment.cancelled"
        SHIPMENT_DELIVERED = "shipment.delivered"

    # A seller's test ping (POST /webhooks/{id}/test): sent to that endpoint
    # only, whatever it subscribed to.
    PING = "webhook.ping"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    seller = models.ForeignKey(
        Seller, on_delete=models.CASCADE, related_name="webhooks"
    )
    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=100)
    # After a rotation the old secret signs too, until it expires.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Since when every attempt failed (cleared by a success); past the limit
    # the endpoint is disabled and the seller told.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.url

    @property
    def is_enabled(self) -> bool:
        return self.disabled_at is None


class WebhookDelivery(models.Model):
    """The outbox row of one event for one endpoint, and its delivery log."""

    class State(models.TextChoices):
        PENDING = "pending"
        # Claimed by a worker; a claim older than the lease is an attempt that
        # died with the worker, and is tried again (same webhook-id).
        SENDING = "sending"
        DELIVERED = "delivered"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    event_type = models.CharField(max_length=40, choices=WebhookEndpoint.Event.choices)
    # The exact body sent on every attempt (the signature covers these bytes).
    body = models.TextField()
    state = models.CharField(
        max_length=16, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["state", "next_attempt_at"], name="webhook_due_idx"),
            models.Index(
                fields=["endpoint", "-created_at", "-id"], name="webhook_log_list_idx"
            ),
            # Retention deletes the oldest finished deliveries first.
            models.Index(fields=["created_at"], name="webhook_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint_id} ({self.state})"

    @property
    def message_id(self) -> str:
        """The ``webhook-id`` header: the same on every attempt."""
        return f"msg_{self.id.hex}"
