"""Outbox mails as messages: subjects, bodies from templates, one SMTP delivery."""

from __future__ import annotations

import contextlib
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from shipping.models import Notification
from shipping.services.tokens import delivery_code

SUBJECTS = {
    Notification.Kind.VERIFY_EMAIL: "Verify your FastShip email address",
    Notification.Kind.PASSWORD_RESET: "Reset your FastShip password",
    Notification.Kind.SHIPMENT_PLACED: "A shipment is on its way to you",
    Notification.Kind.OUT_FOR_DELIVERY: "Your shipment is out for delivery",
    Notification.Kind.DELIVERED: "Your shipment was delivered",
    Notification.Kind.CANCELLED: "A shipment to you was cancelled",
    Notification.Kind.WEBHOOK_DISABLED: "FastShip disabled your webhook endpoint",
    Notification.Kind.ACCOUNT_EXISTS: "Your FastShip account",
}


class EmailNotSent(Exception):
    """The mail server proved it did not take the message: safe to try again."""


# Errors smtplib raises before the server took the message (refused sender or
# recipients, a refused DATA, a bad greeting): nothing was delivered.
_NOT_SENT_ERRORS = (
    smtplib.SMTPHeloError,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPDataError,
)


def email_deliver(message: EmailMultiAlternatives) -> None:
    """Send ``message`` on a connection of its own; :class:`EmailNotSent` if refused.

    Opening the connection (connect, greeting, TLS, login) is separate from
    sending, so a failure there proves the message was not sent.
    """
    backend = get_connection()
    try:
        backend.open()
    except Exception as error:
        raise EmailNotSent("could not connect to the mail server") from error
    try:
        backend.send_messages([message])
    except _NOT_SENT_ERRORS as error:
        raise EmailNotSent("the mail server refused the message") from error
    finally:
        with contextlib.suppress(Exception):  # the message was taken already
            backend.close()


def notification_message_id(notification: Notification) -> str:
    """Return the Message-ID of ``notification``'s mail, the same on every try."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "fastship"
    stamp = int(notification.created_at.timestamp())
    return f"<notification-{notification.pk}.{stamp}@{domain}>"


def notification_delivery_code(notification: Notification) -> str | None:
    """Return the delivery code an unsent out-for-delivery mail carries, if any.

    The row holds only the nonce the code is derived from (wiped when sent).
    """
    context = notification.context
    if "code_nonce" not in context:
        return context.get("verification_code")  # rows written before nonces
    return delivery_code(
        shipment_id=context["shipment_id"], nonce=context["code_nonce"]
    )


def build_email(notification: Notification) -> EmailMultiAlternatives:
    """Render the text and HTML bodies of an outbox email from its templates."""
    context = {**notification.context, "public_base_url": settings.PUBLIC_BASE_URL}
    code = notification_delivery_code(notification)
    if code is not None:
        context["verification_code"] = code
    template = f"shipping/email/{notification.kind}"
    message = EmailMultiAlternatives(
        subject=SUBJECTS[Notification.Kind(notification.kind)],
        body=render_to_string(f"{template}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={"Message-ID": notification_message_id(notification)},
    )
    message.attach_alternative(
        render_to_string(f"{template}.html", context), "text/html"
    )
    return message
