"""Domain errors: a code and a default message; the API layer maps them to HTTP."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every business-rule failure the API reports."""

    code = "domain_error"
    status_code = 400
    default_message = "The request breaks a business rule."

    def __init__(self, message: str | None = None, *, attr: str | None = None) -> None:
        super().__init__(message or self.default_message)
        self.message = message or self.default_message
        self.attr = attr


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
