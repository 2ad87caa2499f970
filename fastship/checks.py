"""System checks of the project's own settings (``manage.py check --deploy``)."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

from fastship.config.runtime import Server


@register(Tags.security, deploy=True)
def trusted_proxies_not_counted_twice(
    app_configs: Any = None, **kwargs: Any
) -> list[CheckMessage]:
    """TRUSTED_PROXIES must not count the load balancer uvicorn already took off.

    In the image uvicorn trusts X-Forwarded-For from FORWARDED_ALLOW_IPS (the
    VPC) and makes its last entry the client address; counting the load
    balancer again would take an entry the client wrote itself, so a client
    could choose the address its limits and logs are counted by.
    """
    forwarded = Server.FORWARDED_ALLOW_IPS.read(os.environ).strip()
    if settings.TRUSTED_PROXIES <= 0 or not forwarded:
        return []
    return [
        Warning(
            f"TRUSTED_PROXIES is {settings.TRUSTED_PROXIES} while uvicorn already "
            f"takes the forwarded address from {forwarded} (FORWARDED_ALLOW_IPS): "
            "the client would choose its own address.",
            hint="Keep TRUSTED_PROXIES=0 behind the ALB, or count only proxies "
            "in front of the load balancer that uvicorn does not trust.",
            id="fastship.W001",
        )
    ]
