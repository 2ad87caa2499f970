"""The development console shows each mail as recipient, subject and text."""

from __future__ import annotations

import io

from django.core.mail import EmailMultiAlternatives, get_connection


def test_console_mail_is_compact_and_keeps_the_links():
    stream = io.StringIO()
    connection = get_connection("fastship.mail.CompactConsoleBackend", stream=stream)
    message = EmailMultiAlternatives(
        "Verify your FastShip email address",
        "Open http://127.0.0.1:8000/verify/abc to verify.\n",
        "FastShip <no-reply@localhost>",
        ["seller@fastship.local"],
        connection=connection,
    )
    message.attach_alternative("<p>HTML twin</p>", "text/html")
    assert message.send() == 1
    assert stream.getvalue() == (
        "--- mail to seller@fastship.local: Verify your FastShip email address\n"
        "Open http://127.0.0.1:8000/verify/abc to verify.\n---\n"
    )
