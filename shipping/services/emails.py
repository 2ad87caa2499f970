"""Outbox mails as messages: subjects, bodies from templates, one SMTP delivery."""

from __future__ import annotations

import contextlib
import os
import smtplib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils.html import escape

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


# A refusal of the message itself (the DATA command, or its final reply):
# the server said it did not take it.
_REFUSED_ERRORS = (smtplib.SMTPDataError,)


def _no_progress(stage: str) -> None:
    return None


class _SmtpSessions:
    """This process's open SMTP connection, reused from mail to mail.

    Keyed by the settings it was opened with (a changed ``EMAIL_HOST`` opens a
    new one); forgotten in a forked child and after any error.
    """

    def __init__(self) -> None:
        self._open: tuple[tuple[Any, ...], Any] | None = None
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._open = None

    @staticmethod
    def _key() -> tuple[Any, ...]:
        return (
            settings.EMAIL_BACKEND,
            settings.EMAIL_HOST,
            settings.EMAIL_PORT,
            settings.EMAIL_HOST_USER,
            settings.EMAIL_USE_TLS,
            settings.EMAIL_USE_SSL,
            settings.EMAIL_TIMEOUT,
        )

    def take(self) -> tuple[Any, bool]:
        """A backend (open, if it was kept) and whether it was reused."""
        key = self._key()
        if self._open is not None:
            kept_key, backend = self._open
            self._open = None
            if kept_key == key:
                return backend, True
            _close_quietly(backend)
        return get_connection(), False

    def keep(self, backend: Any) -> None:
        if getattr(backend, "connection", None) is None:
            return  # not an SMTP connection (console, memory, file)
        self._open = (self._key(), backend)


smtp_sessions = _SmtpSessions()


def _close_quietly(backend: Any) -> None:
    with contextlib.suppress(Exception):
        backend.close()


def email_deliver(
    message: EmailMultiAlternatives, *, progress: Callable[[str], None] = _no_progress
) -> None:
    """Send ``message``; :class:`EmailNotSent` when it provably did not go out.

    ``progress`` is told each step before it is taken: ``connected`` once the
    server greeted us (and took a login), ``data_sent`` just before the
    message itself goes out; it may raise :class:`EmailNotSent` to stop.
    Anything that fails before ``data_sent`` proves the message was not
    sent, as does the server refusing it. The connection is kept for the
    next mail; a kept connection the server closed meanwhile is opened again
    once.
    """
    backend, reused = smtp_sessions.take()
    for last_try in (not reused, True):
        try:
            backend.open()
        except Exception as error:
            _close_quietly(backend)
            raise EmailNotSent("could not connect to the mail server") from error
        progress("connected")
        data_reached = False

        def reached_data() -> None:
            nonlocal data_reached
            progress("data_sent")
            data_reached = True

        try:
            _send(backend, message, reached_data)
        except EmailNotSent:
            _close_quietly(backend)
            raise
        except _REFUSED_ERRORS as error:
            _close_quietly(backend)
            raise EmailNotSent("the mail server refused the message") from error
        except Exception as error:
            _close_quietly(backend)
            if data_reached:
                raise  # the message went out: its fate is unknown
            if last_try:
                raise EmailNotSent("the mail server dropped the session") from error
            backend = get_connection()  # a kept connection gone stale: once more
            continue
        smtp_sessions.keep(backend)
        return


def _send(backend: Any, message: Any, reached_data: Callable[[], None]) -> None:
    """``backend.send_messages([message])``, calling ``reached_data`` right
    before the message goes out (SMTP's DATA)."""
    connection = getattr(backend, "connection", None)
    if connection is None or not hasattr(connection, "data"):
        reached_data()  # console, memory or file: nothing to wait for
        backend.send_messages([message])
        return
    data = connection.data

    def data_after_progress(payload: Any) -> Any:
        reached_data()
        return data(payload)

    connection.data = data_after_progress
    try:
        backend.send_messages([message])
    finally:
        del connection.data


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
    subject = SUBJECTS[Notification.Kind(notification.kind)]
    text: str = render_to_string(f"{template}.txt", context)
    html: str = render_to_string(f"{template}.html", context)
    if context.get("test_mode"):  # a test shipment's mail, sent to its seller
        notice = (
            "TEST MODE: this is about a test shipment. A live one would have "
            f"mailed {context.get('test_recipient', 'its recipient')}."
        )
        subject = f"[TEST] {subject}"
        text = f"{notice}\n\n{text}"
        html = f"<p><strong>{escape(notice)}</strong></p>\n{html}"
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={"Message-ID": notification_message_id(notification)},
    )
    message.attach_alternative(html, "text/html")
    return message
