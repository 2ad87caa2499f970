"""Every domain error: a code, a status and a default message (the API maps them)."""

from __future__ import annotations

from fastship.api.domain_error import DomainError


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status_code = 409
    default_message = "This status change is not allowed."


class NoPartnerAvailable(DomainError):
    code = "no_partner_available"
    status_code = 409
    default_message = "No delivery partner serves this zip code with capacity left."


class InvalidVerificationCode(DomainError):
    code = "invalid_verification_code"
    status_code = 400
    default_message = "The verification code is wrong."


class VerificationLocked(DomainError):
    code = "verification_locked"
    status_code = 403
    default_message = (
        "Too many wrong codes: this code is void until the next delivery attempt."
    )


class AlreadyReviewed(DomainError):
    code = "already_reviewed"
    status_code = 409
    default_message = "This delivery has already been reviewed."


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status_code = 409
    default_message = "This Idempotency-Key was used with a different request."


class EmailNotVerified(DomainError):
    code = "email_not_verified"
    status_code = 403
    default_message = "Verify your email address before logging in."


class InvalidToken(DomainError):
    code = "invalid_token"
    status_code = 400
    default_message = "The link is invalid or has expired."


class NotFound(DomainError):
    code = "not_found"
    status_code = 404
    default_message = "Not found."


class CapacityBelowLoad(DomainError):
    code = "capacity_below_load"
    status_code = 400
    default_message = "The capacity cannot be lower than the shipments you carry now."


class UnknownTag(DomainError):
    code = "unknown_tag"
    status_code = 400
    default_message = "Unknown tag."


class InvalidRefreshToken(DomainError):
    code = "invalid_token"
    status_code = 400
    default_message = "Invalid or expired refresh token."


class WebhookTargetRefused(DomainError):
    code = "webhook_target_refused"
    status_code = 400
    default_message = "FastShip does not call this URL."


class WebhookLimitReached(DomainError):
    code = "webhook_limit_reached"
    status_code = 400
    default_message = "A seller has at most 10 webhook endpoints; remove one first."


class ReferenceInUse(DomainError):
    code = "reference_in_use"
    status_code = 409
    default_message = (
        "Another shipment of yours has this reference: a repeat of its create "
        "with the same fields answers that shipment."
    )


class TestModeOnly(DomainError):
    code = "test_mode_only"
    status_code = 403
    default_message = (
        "Only a test key (fsk_test_...) simulates a shipment's moves; live "
        "shipments move when their partner scans them."
    )


class WebhookDisabled(DomainError):
    code = "webhook_disabled"
    status_code = 409
    default_message = (
        "This endpoint is disabled: enable it (PATCH with enabled true), and "
        "what was held for it is sent."
    )
