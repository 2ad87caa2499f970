"""FastShip settings: everything comes from the environment (12-factor).

Every variable is declared once, with its type, default and help, in
``fastship/config/`` (``.env.example`` is generated from there); this module
only reads them and wires Django. Values production needs have no default there
and stop start-up with the variable's name. ``.env`` is read in development only.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

from fastship import wiring
from fastship.api import settings as api_settings
from fastship.config import Variable
from fastship.config.features import (
    Email,
    ErrorReporting,
    Health,
    Metrics,
    RequestLog,
    Throttles,
    Webhooks,
)
from fastship.config.runtime import Database, Environment, Logging, Redis
from fastship.env import (
    DatabaseTimeouts,
    database_config,
    email_settings,
    redis_config,
    redis_timeouts,
)
from fastship.logs import logging_config
from fastship.redis import QUEUE_NAMES, cache_config, rq_queue_config

BASE_DIR = Path(__file__).resolve().parent.parent
T = TypeVar("T")
env = os.environ

# --- environment ----------------------------------------------------------------

DJANGO_ENV = Environment.DJANGO_ENV.read(env)
if DJANGO_ENV == "development":
    from dotenv import load_dotenv

    # Variables already in the environment win over .env.
    load_dotenv(BASE_DIR / ".env", override=False)
    DJANGO_ENV = Environment.DJANGO_ENV.read(env)
IS_PRODUCTION = DJANGO_ENV == "production"


def read(variable: Variable[T]) -> T:
    """The variable's value in this environment."""
    return variable.read(env, DJANGO_ENV)


# --- core -----------------------------------------------------------------------

DEBUG = read(Environment.DJANGO_DEBUG)
SECRET_KEY = read(Environment.DJANGO_SECRET_KEY)
JWT_SECRET = read(Environment.JWT_SECRET)
if IS_PRODUCTION and JWT_SECRET == SECRET_KEY:
    raise ImproperlyConfigured("JWT_SECRET must differ from DJANGO_SECRET_KEY.")
ALLOWED_HOSTS = read(Environment.DJANGO_ALLOWED_HOSTS)
CSRF_TRUSTED_ORIGINS = read(Environment.CSRF_TRUSTED_ORIGINS)
# /admin/ and /django-rq/ only from these networks (empty: every network).
ADMIN_ALLOWED_NETWORKS = read(Environment.ADMIN_ALLOWED_NETWORKS)
# X-Forwarded-For hops to trust: request logs, throttles, the admin's networks.
TRUSTED_PROXIES = read(Environment.TRUSTED_PROXIES)
PUBLIC_BASE_URL = read(Environment.PUBLIC_BASE_URL).rstrip("/")

INSTALLED_APPS = [
    "shipping.apps.ShippingAdminConfig",  # Django's admin, FastShip's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "drf_standardized_errors",
    "fastship.rq_app.BackgroundJobsConfig",  # django_rq, named for operators
    "fastship",
    "healthcheck",  # before the apps that register readiness checks into it
    "fastship.requestlog",
    "shipping",
]

# The middleware chain, in order, and the templates: fastship/wiring.py.
MIDDLEWARE, TEMPLATES = wiring.MIDDLEWARE, wiring.TEMPLATES

ROOT_URLCONF = "fastship.urls"
WSGI_APPLICATION = "fastship.wsgi.application"
ASGI_APPLICATION = "fastship.asgi.application"

# --- database -------------------------------------------------------------------

DATABASE_TIMEOUTS = DatabaseTimeouts.from_environ(env)
# Threads that serve requests under ASGI (fastship/asgi_handler.py).
REQUEST_THREADS = read(Database.REQUEST_THREADS) or DATABASE_TIMEOUTS.pool_max_size
REQUEST_QUEUE_TIMEOUT = read(Database.REQUEST_QUEUE_TIMEOUT)
REQUEST_QUEUE_MAX = read(Database.REQUEST_QUEUE_MAX)
PASSWORD_HASH_CONCURRENCY = read(Database.PASSWORD_HASH_CONCURRENCY)
PASSWORD_HASH_WAIT = read(Database.PASSWORD_HASH_WAIT)
DATABASES = {
    "default": database_config(
        env, sqlite_path=BASE_DIR / "db.sqlite3", timeouts=DATABASE_TIMEOUTS
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- redis, queues and cache ----------------------------------------------------

FASTSHIP_REDIS = redis_config(env)
# The throttles' client: a hung Redis may cost a login 0.2 s, never seconds.
FASTSHIP_REDIS_TIMEOUTS, THROTTLE_REDIS_TIMEOUTS = redis_timeouts(env)
RQ_JOB_TIMEOUT = read(Redis.RQ_JOB_TIMEOUT)
RQ_QUEUES = {
    name: rq_queue_config(
        FASTSHIP_REDIS, FASTSHIP_REDIS_TIMEOUTS, job_timeout=RQ_JOB_TIMEOUT
    )
    for name in QUEUE_NAMES
}
# Services hand jobs over after commit themselves; django-rq must not defer again.
# Jobs carry the request id of the request that enqueued them into their logs.
RQ = {"COMMIT_MODE": "auto", "JOB_CLASS": "fastship.jobs.RequestBoundJob"}
RQ_SHOW_ADMIN_LINK = FASTSHIP_REDIS is not None  # the dashboard needs a Redis
NOTIFICATION_RELAY_EVERY = read(Email.NOTIFICATION_RELAY_EVERY)
WEBHOOK_RELAY_EVERY = read(Webhooks.WEBHOOK_RELAY_EVERY)
CLOUDWATCH_METRICS_NAMESPACE = read(Metrics.CLOUDWATCH_METRICS_NAMESPACE)
METRICS_FLUSH_SECONDS = read(Metrics.METRICS_FLUSH_SECONDS)
SENTRY_DSN = read(ErrorReporting.SENTRY_DSN)
SENTRY_ENVIRONMENT = read(ErrorReporting.SENTRY_ENVIRONMENT)
SENTRY_SHUTDOWN_SECONDS = read(ErrorReporting.SENTRY_SHUTDOWN_SECONDS)
# Run by the worker (fastship/worker.py) every `every_seconds`, whatever became
# of the last run, of the worker or of Redis's contents.
DAY = 24 * 3600
FASTSHIP_PERIODIC_JOBS = [
    {"name": name, "func": func, "every_seconds": every}
    for name, func, every in (
        (
            "notifications-relay",
            "shipping.jobs.relay_notifications_job",
            NOTIFICATION_RELAY_EVERY,
        ),
        ("requestlog-prune", "fastship.requestlog.jobs.prune_request_logs_job", DAY),
        # Sent mail, finished deliveries, idempotency keys, expired tokens.
        ("records-prune", "shipping.jobs.prune_records_job", DAY),
        ("webhooks-relay", "shipping.jobs.relay_webhooks_job", WEBHOOK_RELAY_EVERY),
    )
]

# "default", and "throttle" whose counters a request must never wait long on.
CACHES = cache_config(
    FASTSHIP_REDIS, FASTSHIP_REDIS_TIMEOUTS, throttle_timeouts=THROTTLE_REDIS_TIMEOUTS
)

# --- auth -----------------------------------------------------------------------

AUTH_USER_MODEL = "shipping.User"
_VALIDATORS = "UserAttributeSimilarity MinimumLength CommonPassword NumericPassword"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}Validator"}
    for name in _VALIDATORS.split()
]

# The API's libraries (DRF, simplejwt, drf-spectacular, drf-standardized-errors).
REST_FRAMEWORK = api_settings.rest_framework(
    # simplejwt's checks, the user read by a query compiled once.
    # A seller's API key (Authorization: Api-Key <key>) acts as the seller.
    authentication=[
        "shipping.authentication.UserJWTAuthentication",
        "shipping.authentication.ApiKeyAuthentication",
    ],
    # THROTTLE_<SCOPE> per client address, THROTTLE_<SCOPE>_ACCOUNT per account.
    throttle_rates={
        variable.name.removeprefix("THROTTLE_").lower(): read(variable)
        for variable in Throttles.variables()
    },
    num_proxies=TRUSTED_PROXIES,
)
SIMPLE_JWT = api_settings.simple_jwt(signing_key=JWT_SECRET)
SPECTACULAR_SETTINGS = api_settings.spectacular(
    extra_hooks=["shipping.openapi.document_webhooks"]  # the webhook payloads
)
DRF_STANDARDIZED_ERRORS = api_settings.DRF_STANDARDIZED_ERRORS

# --- email ----------------------------------------------------------------------

DEFAULT_FROM_EMAIL = read(Email.DEFAULT_FROM_EMAIL)
# EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, _PASSWORD, EMAIL_USE_TLS
globals().update(email_settings(env, DJANGO_ENV))
# An SMTP server that stops answering must not hold a worker forever.
EMAIL_TIMEOUT = read(Email.EMAIL_TIMEOUT)
# Past this a claimed mail may or may not have been sent: it needs an operator.
NOTIFICATION_SEND_LEASE = read(Email.NOTIFICATION_SEND_LEASE)
if NOTIFICATION_SEND_LEASE < 3 * EMAIL_TIMEOUT:
    raise ImproperlyConfigured(
        f"NOTIFICATION_SEND_LEASE must be at least {3 * EMAIL_TIMEOUT}"
        f" (3 x EMAIL_TIMEOUT), got {NOTIFICATION_SEND_LEASE}"
    )
NOTIFICATION_RECIPIENT_HOURLY_LIMIT = read(Email.NOTIFICATION_RECIPIENT_HOURLY_LIMIT)
WEBHOOK_ALLOW_PRIVATE_TARGETS = read(Webhooks.WEBHOOK_ALLOW_PRIVATE_TARGETS)
WEBHOOK_TIMEOUT = read(Webhooks.WEBHOOK_TIMEOUT)
WEBHOOK_DISABLE_AFTER_DAYS = read(Webhooks.WEBHOOK_DISABLE_AFTER_DAYS)
WEBHOOK_DELIVERY_RETENTION_DAYS = read(Webhooks.WEBHOOK_DELIVERY_RETENTION_DAYS)
NOTIFICATION_RETENTION_DAYS = read(Email.NOTIFICATION_RETENTION_DAYS)

# --- health and request logs: every variable of the group, as a setting ------------

HEALTH_TOKEN = read(Health.HEALTH_TOKEN) or None
HEALTH_DEADLINE = read(Health.HEALTH_DEADLINE)
HEALTH_CHECK_TIMEOUT = read(Health.HEALTH_CHECK_TIMEOUT)
HEALTH_CACHE_TTL = read(Health.HEALTH_CACHE_TTL)
HEALTH_QUEUE_MAX_AGE = read(Health.HEALTH_QUEUE_MAX_AGE)
REQUEST_LOG_ENABLED = read(RequestLog.REQUEST_LOG_ENABLED)
REQUEST_LOG_BUFFER_SIZE = read(RequestLog.REQUEST_LOG_BUFFER_SIZE)
REQUEST_LOG_BATCH_SIZE = read(RequestLog.REQUEST_LOG_BATCH_SIZE)
REQUEST_LOG_FLUSH_INTERVAL = read(RequestLog.REQUEST_LOG_FLUSH_INTERVAL)
REQUEST_LOG_ENQUEUE_TIMEOUT = read(RequestLog.REQUEST_LOG_ENQUEUE_TIMEOUT)
REQUEST_LOG_BREAKER_THRESHOLD = read(RequestLog.REQUEST_LOG_BREAKER_THRESHOLD)
REQUEST_LOG_BREAKER_RESET_SECONDS = read(RequestLog.REQUEST_LOG_BREAKER_RESET_SECONDS)
REQUEST_LOG_EXIT_FLUSH_SECONDS = read(RequestLog.REQUEST_LOG_EXIT_FLUSH_SECONDS)
REQUEST_LOG_CONFIRM_SECONDS = read(RequestLog.REQUEST_LOG_CONFIRM_SECONDS)
REQUEST_LOG_SAMPLE_RATE = read(RequestLog.REQUEST_LOG_SAMPLE_RATE)
REQUEST_LOG_SLOW_MS = read(RequestLog.REQUEST_LOG_SLOW_MS)
REQUEST_LOG_RETENTION_DAYS = read(RequestLog.REQUEST_LOG_RETENTION_DAYS)
REQUEST_LOG_DROP_WARN_SECONDS = read(RequestLog.REQUEST_LOG_DROP_WARN_SECONDS)

# --- internationalisation and static files ---------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
FORMAT_MODULE_PATH = ["fastship.formats"]  # one way to write a time everywhere
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
# The image installs the code as a package: its static files live in /app.
STATIC_ROOT = Path(read(Environment.DJANGO_STATIC_ROOT) or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Bodies above this are refused before a view reads them.
DATA_UPLOAD_MAX_MEMORY_SIZE = read(Environment.DJANGO_MAX_BODY_BYTES)

# --- logging --------------------------------------------------------------------

LOG_LEVEL = read(Logging.LOG_LEVEL)
LOG_JSON = read(Logging.LOG_JSON)
LOGGING = logging_config(json_lines=LOG_JSON, level=LOG_LEVEL)

# --- security (production) ------------------------------------------------------

# The ALB terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = read(Environment.DJANGO_SECURE_SSL_REDIRECT)
SESSION_COOKIE_SECURE = IS_PRODUCTION
CSRF_COOKIE_SECURE = IS_PRODUCTION
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = read(Environment.DJANGO_SECURE_HSTS_SECONDS)
SECURE_HSTS_INCLUDE_SUBDOMAINS = IS_PRODUCTION
SECURE_HSTS_PRELOAD = IS_PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
