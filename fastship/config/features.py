"""Variables of the product: email, health, metrics, request logs, abuse limits."""

from __future__ import annotations

from fastship.config import Bool, Float, Group, Int, Text


class Email(Group):
    title = "email"
    EMAIL_HOST = Text(
        "",
        "SMTP server. Unset: the console in development and test (readable, not "
        "MIME); localhost in production.",
    )
    EMAIL_PORT = Int(587, "SMTP port (2525 with MAILTRAP_USERNAME).", minimum=1)
    EMAIL_HOST_USER = Text("", "SMTP user.")
    EMAIL_HOST_PASSWORD = Text("", "SMTP password.")
    EMAIL_USE_TLS = Bool(
        False, "STARTTLS (always on with MAILTRAP_USERNAME).", production=True
    )
    EMAIL_TIMEOUT = Int(10, "Seconds before an SMTP call gives up.", minimum=1)
    DEFAULT_FROM_EMAIL = Text(
        "FastShip <no-reply@localhost>",
        "Sender of every mail.",
        example="FastShip <no-reply@localhost>",
    )
    MAILTRAP_USERNAME = Text(
        "", "Shortcut: SMTP to the Mailtrap sandbox (sandbox.smtp.mailtrap.io:2525)."
    )
    MAILTRAP_PASSWORD = Text("", "Required with MAILTRAP_USERNAME.")
    NOTIFICATION_RELAY_EVERY = Int(
        60,
        "Seconds between runs of the worker's relay of outbox mail still pending; "
        "a pending mail this old is handed over again.",
        minimum=1,
    )
    NOTIFICATION_SEND_LEASE = Int(
        300,
        "Seconds a mail may stay claimed (sending) before readiness and the admin "
        "say it needs a person: it may or may not have been sent. At least 3 x "
        "EMAIL_TIMEOUT.",
        minimum=1,
    )
    NOTIFICATION_RETENTION_DAYS = Int(
        90,
        "Sent mail older than this many days is deleted from the outbox (pending, "
        "held and interrupted mail is kept however old).",
        minimum=1,
    )
    NOTIFICATION_RECIPIENT_HOURLY_LIMIT = Int(
        20,
        "Shipment mails (placed, out for delivery, delivered, cancelled) to one "
        "address per hour; beyond it a mail is held, counted in readiness and "
        "released from the admin, and the API call still succeeds.",
        minimum=1,
    )


class Health(Group):
    title = "health"
    HEALTH_TOKEN = Text(
        "",
        "Bearer token that unlocks readiness details at /api/v1/health. Unset: "
        "details only for staff users.",
    )
    HEALTH_DEADLINE = Float(
        2.0, "Readiness answers within this many seconds whatever hangs.", minimum=0.1
    )
    HEALTH_CHECK_TIMEOUT = Float(
        1.0, "Each readiness check's own timeout, in seconds.", minimum=0.05
    )
    HEALTH_CACHE_TTL = Float(
        2.0, "Seconds a readiness report is reused by every caller.", minimum=0.0
    )
    HEALTH_QUEUE_MAX_AGE = Float(
        300.0,
        "Oldest queued job age, in seconds, above which readiness warns.",
        minimum=1.0,
    )


class Metrics(Group):
    title = "metrics"
    CLOUDWATCH_METRICS_NAMESPACE = Text(
        "",
        "CloudWatch namespace for the application's own metrics (requests by "
        "route and status, jobs by queue, webhook attempts, oldest waiting mail, "
        "request-log records dropped or sent to the fallback), written to stdout "
        "as embedded-metric-format JSON lines that CloudWatch Logs turns into "
        "metrics; the application stack sets FastShip/<environment>. Empty: none.",
    )
    METRICS_FLUSH_SECONDS = Float(
        60.0,
        "Seconds between two writes of the request, job and webhook metrics "
        "(each process adds them up in memory meanwhile).",
        minimum=1.0,
    )


class ErrorReporting(Group):
    title = "error reporting (Sentry)"
    SENTRY_DSN = Text(
        "",
        "Sentry project DSN: exceptions of views and jobs are reported there, "
        "secrets masked as in the logs, nothing personal. Empty: nothing is sent.",
        secret=True,
    )
    SENTRY_ENVIRONMENT = Text(
        "", "The environment Sentry files events under. Empty: DJANGO_ENV."
    )
    SENTRY_SHUTDOWN_SECONDS = Float(
        2.0,
        "At exit, how long the process may wait for Sentry to take what is queued.",
        minimum=0.0,
    )


class RequestLog(Group):
    title = "request logging (one record per request, shipped off the request path)"
    REQUEST_LOG_ENABLED = Bool(
        True, "Off: no records (request ids are still returned)."
    )
    REQUEST_LOG_BUFFER_SIZE = Int(
        10_000,
        "Records held in memory at most; beyond, dropped and counted.",
        minimum=1,
    )
    REQUEST_LOG_BATCH_SIZE = Int(
        200,
        "One RQ job per batch of this many records, or of what came within "
        "REQUEST_LOG_FLUSH_INTERVAL, whichever first.",
        minimum=1,
    )
    REQUEST_LOG_FLUSH_INTERVAL = Float(
        1.0, "Seconds a batch collects records at most.", minimum=0.01
    )
    REQUEST_LOG_ENQUEUE_TIMEOUT = Float(
        0.2,
        "Connect and reply timeout of the shipper's own Redis client, seconds "
        "(no retry).",
        minimum=0.01,
    )
    REQUEST_LOG_BREAKER_THRESHOLD = Int(
        3,
        "Failures in a row that open the circuit breaker; meanwhile batches go to "
        "stdout.",
        minimum=1,
    )
    REQUEST_LOG_BREAKER_RESET_SECONDS = Float(
        30.0, "Seconds the breaker stays open before one trial.", minimum=0.1
    )
    REQUEST_LOG_EXIT_FLUSH_SECONDS = Float(
        2.0,
        "Longest wait at exit to ship what is buffered; the rest goes to stdout.",
        minimum=0.0,
    )
    REQUEST_LOG_CONFIRM_SECONDS = Float(
        120.0,
        "Seconds an enqueued batch may wait for the worker to confirm it stored "
        "it; then it is written to stdout as well (never lost, maybe twice).",
        minimum=1.0,
    )
    REQUEST_LOG_SAMPLE_RATE = Float(
        1.0,
        "Share of 2xx/3xx responses kept, 0..1; 4xx, 5xx and requests slower "
        "than REQUEST_LOG_SLOW_MS always are.",
        minimum=0.0,
    )
    REQUEST_LOG_SLOW_MS = Float(
        1000.0, "Milliseconds from which a request counts as slow.", minimum=0.0
    )
    REQUEST_LOG_RETENTION_DAYS = Int(
        30, "Stored records older than this many days are pruned.", minimum=1
    )
    REQUEST_LOG_DROP_WARN_SECONDS = Float(
        300.0,
        "Readiness warns when a record was dropped within this many seconds.",
        minimum=1.0,
    )


class Webhooks(Group):
    title = "webhooks (events pushed to sellers' endpoints)"
    WEBHOOK_ALLOW_PRIVATE_TARGETS = Bool(
        False,
        "Allow plain http and loopback/private/link-local targets (a receiver on "
        "this machine). Off, a webhook URL must be https and resolve only to "
        "public addresses, checked at registration and at every delivery; "
        "`manage.py check --deploy` warns when it is on.",
        development=True,
    )
    WEBHOOK_TIMEOUT = Float(
        10.0,
        "Seconds a delivery waits to connect, and for each read; an attempt "
        "takes at most twice this in all.",
        minimum=0.1,
    )
    WEBHOOK_DISABLE_AFTER_DAYS = Int(
        5,
        "Days of nothing but failed deliveries after which an endpoint is "
        "disabled and its seller told by mail.",
        minimum=1,
    )
    WEBHOOK_DELIVERY_RETENTION_DAYS = Int(
        30,
        "Delivered and failed webhook deliveries older than this many days are "
        "deleted (the log a seller reads and an operator re-delivers from).",
        minimum=1,
    )
    WEBHOOK_RELAY_EVERY = Int(
        10,
        "Seconds between runs of the worker's relay of due webhook deliveries "
        "(those the hand-over or a lost retry missed).",
        minimum=1,
    )


def _rate(default: str, help: str) -> Text:
    return Text(default, help, example=default)


class Throttles(Group):
    title = "abuse limits (DRF throttle rates: N/second|minute|hour|day)"
    intro = (
        "Counted in Redis when configured (local memory otherwise); if Redis "
        "fails, throttling fails open. Per client address unless the name says "
        "ACCOUNT (the email in the body)."
    )
    THROTTLE_LOGIN = _rate("20/min", "Logins.")
    THROTTLE_LOGIN_ACCOUNT = _rate("10/min", "Logins.")
    THROTTLE_SIGNUP = _rate("10/hour", "Sign-ups.")
    THROTTLE_PASSWORD_RESET = _rate("10/hour", "Password reset requests.")
    THROTTLE_PASSWORD_RESET_ACCOUNT = _rate("3/hour", "Password reset requests.")
    THROTTLE_VERIFICATION = _rate("30/min", "Email verifications.")
    THROTTLE_VERIFICATION_RESEND = _rate("10/hour", "Verification mails sent again.")
    THROTTLE_VERIFICATION_RESEND_ACCOUNT = _rate(
        "3/hour", "Verification mails sent again."
    )
    THROTTLE_SHIPMENT_CREATE = _rate(
        "120/min", "Shipment creates per seller (each mails an address it chose)."
    )
    THROTTLE_ADMIN_LOGIN = _rate(
        "30/hour",
        "Failed admin logins only (the right password does not count); at the "
        "limit the admin login answers 429.",
    )
    THROTTLE_ADMIN_LOGIN_ACCOUNT = _rate("10/hour", "Failed admin logins only.")
