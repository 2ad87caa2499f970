"""Periodic jobs of the shipping app (run by the worker, ``FASTSHIP_PERIODIC_JOBS``)."""

from __future__ import annotations

import io

from django.core.management import call_command


def flush_expired_tokens_job() -> str:
    """Delete expired refresh tokens and their blacklist entries (simplejwt's own).

    Without it the outstanding-token tables grow with every login, for ever.
    """
    out = io.StringIO()
    call_command("flushexpiredtokens", stdout=out)
    return out.getvalue().strip()
