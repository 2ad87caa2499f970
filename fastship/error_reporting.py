"""Errors reported to Sentry when ``SENTRY_DSN`` is set; nothing at all when unset.

sentry-sdk with its Django and RQ integrations: an exception a view lets out
(a 500) and a job that fails are reported, with the release
(``fastship.version``) and the environment. Nothing personal is sent
(``send_default_pii`` off, no request bodies, no local variables), and every
string of an event passes through the same masking as the log lines
(:func:`fastship.logs.mask_secrets`: bearer tokens, API keys, webhook secrets,
mailed links' tokens), headers that carry credentials are dropped. The SDK
sends from a thread of its own with a bounded queue: a slow or unreachable
Sentry never delays a request or a job, and at exit it waits at most
``SENTRY_SHUTDOWN_SECONDS``.
"""

from __future__ import annotations

from typing import Any

from fastship.logs import MASK, mask_secrets

# Headers whose value is a credential: dropped whatever their content.
SECRET_HEADERS = frozenset(
    {"authorization", "cookie", "x-api-key", "proxy-authorization", "x-health-token"}
)


def scrubbed(value: Any, key: str = "") -> Any:
    """``value`` with secrets masked in every string, credential headers gone."""
    if key.lower() in SECRET_HEADERS:
        return MASK
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {k: scrubbed(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items = [scrubbed(item) for item in value]
        # Headers as [name, value] pairs: mask by the name.
        pair = len(items) == 2 and isinstance(items[0], str)
        if pair and items[0].lower() in SECRET_HEADERS:
            items[1] = MASK
        return items
    return value


def before_send(event: Any, hint: Any) -> Any:
    """Scrub the event; tag it with the request id (a request's, or the job's
    request's), the id its log lines carry, to find them from the report."""
    from fastship.logs import request_id_var

    request_id = request_id_var.get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return scrubbed(event)


def before_breadcrumb(crumb: Any, hint: Any) -> Any:
    return scrubbed(crumb)


def init() -> bool:
    """Start reporting if ``SENTRY_DSN`` is set; True when it did."""
    from django.conf import settings

    if not settings.SENTRY_DSN:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    from fastship.version import current

    sentry_sdk.init(
        dsn=settings.SENTRY_DSN,
        environment=settings.SENTRY_ENVIRONMENT or settings.DJANGO_ENV,
        release=current().version,
        integrations=[DjangoIntegration(), RqIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=0.0,  # errors only: traces are OpenTelemetry's
        before_send=before_send,
        before_breadcrumb=before_breadcrumb,
        shutdown_timeout=settings.SENTRY_SHUTDOWN_SECONDS,
    )
    return True
