"""Mail on the console in a form a person reads: recipient, subject, text.

Django's console backend prints every mail as raw MIME (headers, boundaries,
the HTML alternative): about 90 lines a mail, so the demo data's mails buried
its logins. This prints what a developer looks for, the links included.
"""

from __future__ import annotations

from typing import Any

from django.core.mail.backends.console import EmailBackend


class CompactConsoleBackend(EmailBackend):
    def write_message(self, message: Any) -> None:
        recipients = ", ".join(message.recipients())
        body = str(message.body).strip()
        self.stream.write(f"--- mail to {recipients}: {message.subject}\n{body}\n---\n")
