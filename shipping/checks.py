"""System checks of the shipping app (run by ``manage.py check``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register


@register(Tags.security, deploy=True)
def webhooks_refuse_private_targets(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """A deployed FastShip must not call loopback, private or metadata addresses."""
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return []
    return [
        Warning(
            "WEBHOOK_ALLOW_PRIVATE_TARGETS is on: sellers' webhook URLs may point "
            "at plain http, loopback, private and instance-metadata addresses.",
            hint="Unset it in production; it is for a receiver on a developer's "
            "machine.",
            id="shipping.W001",
        )
    ]
