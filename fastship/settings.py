"""FastShip settings: everything comes from the environment (12-factor).

Defaults are safe for development; values production needs have no default
there and stop start-up with the variable's name. ``.env.example`` lists every
variable. ``.env`` is read in development only.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from fastship.env import (
    DatabaseTimeouts,
    database_config,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_networks,
    redis_config,
    require,
)
from fastship.logs import logging_config
from fastship.redis import QUEUE_NAMES, RedisTimeouts, client_options, rq_queue_config

BASE_DIR = Path(__file__).resolve().parent.parent

# --- environment ----------------------------------------------------------------

ENVIRONMENTS = ("development", "production", "test")
# pytest sets PYTEST_VERSION while it runs, so a bare `pytest` gets test settings.
_default_env = "test" if "PYTEST_VERSION" in os.environ else "development"
FASTSHIP_ENV = os.environ.get("DJANGO_ENV", "").strip() or _default_env
if FASTSHIP_ENV == "development":
    from dotenv import load_dotenv

    # Variables already in the environment win over .env.
    load_dotenv(BASE_DIR / ".env", override=False)
    FASTSHIP_ENV = os.environ.get("DJANGO_ENV", "").strip() or "development"
if FASTSHIP_ENV not in ENVIRONMENTS:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be one of {', '.join(ENVIRONMENTS)}, got {FASTSHIP_ENV!r}"
    )
env = os.environ
IS_PRODUCTION = FASTSHIP_ENV == "production"
IS_DEVELOPMENT = FASTSHIP_ENV == "development"
_IN_PRODUCTION = "in production (DJANGO_ENV=production)"

# --- core -----------------------------------------------------------------------

DEBUG = env_bool(env, "DJANGO_DEBUG", default=IS_DEVELOPMENT)
if IS_PRODUCTION:
    SECRET_KEY = require(env, "DJANGO_SECRET_KEY", why=_IN_PRODUCTION)
    JWT_SECRET = require(env, "JWT_SECRET", why=_IN_PRODUCTION)
    ALLOWED_HOSTS = env_list(env, "DJANGO_ALLOWED_HOSTS", default=[])
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            f"DJANGO_ALLOWED_HOSTS is required {_IN_PRODUCTION}."
        )
    if JWT_SECRET == SECRET_KEY:
        raise ImproperlyConfigured("JWT_SECRET must differ from DJANGO_SECRET_KEY.")
else:
    SECRET_KEY = env.get("DJANGO_SECRET_KEY") or (
        "django-insecure-dev-only-key-never-used-in-production-0123456789abcdef"
    )
    JWT_SECRET = env.get("JWT_SECRET") or "dev-only-jwt-secret-never-used-in-production"
    ALLOWED_HOSTS = env_list(
        env,
        "DJANGO_ALLOWED_HOSTS",
        default=["localhost", "127.0.0.1", "[::1]", "testserver"],
    )
CSRF_TRUSTED_ORIGINS = env_list(env, "CSRF_TRUSTED_ORIGINS", default=[])
# Networks allowed to open /admin/ and /django-rq/ (checked against the client
# address the load balancer reports, REQUEST_LOG_TRUSTED_PROXIES hops); empty
# allows every network. Others get a 403.
ADMIN_ALLOWED_NETWORKS = env_networks(env, "ADMIN_ALLOWED_NETWORKS")
PUBLIC_BASE_URL = (
    env.get("PUBLIC_BASE_URL", "").strip().rstrip("/") or "http://localhost:8000"
)

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
    "django_rq",
    "fastship",
    "healthcheck",  # before the apps that register readiness checks into it
    "fastship.requestlog",
    "shipping",
]

MIDDLEWARE = [
    # First, always (a system check enforces it): answers /health before any
    # host validation, HTTPS redirect, session, auth or logging can run.
    "healthcheck.middleware.ProbeMiddleware",
    # Second: every other response (redirects and 400s included) gets a request
    # id and one log record, handed to a bounded buffer without waiting.
    "fastship.requestlog.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (admin, Swagger UI) from the image, compressed and cached.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # /admin/ and /django-rq/ only from ADMIN_ALLOWED_NETWORKS (when set).
    "fastship.security.AdminNetworkMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "fastship.urls"
WSGI_APPLICATION = "fastship.wsgi.application"
ASGI_APPLICATION = "fastship.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------

# gunicorn's uvicorn workers import fastship.asgi, which sets FASTSHIP_ASGI
# before settings load: under ASGI, requests share Django's psycopg pool.
DATABASE_TIMEOUTS = DatabaseTimeouts(
    connect_seconds=env_int(env, "DATABASE_CONNECT_TIMEOUT", default=5, minimum=1),
    statement_ms=env_int(env, "DATABASE_STATEMENT_TIMEOUT_MS", default=5000, minimum=1),
    pool=env_bool(env, "DATABASE_POOL", default=env.get("FASTSHIP_ASGI") == "1"),
    pool_max_size=env_int(env, "DATABASE_POOL_MAX_SIZE", default=10, minimum=1),
    pool_timeout_seconds=env_float(
        env, "DATABASE_POOL_TIMEOUT", default=0.8, minimum=0.1
    ),
)
# Threads that serve requests under ASGI (fastship/asgi_handler.py): as many as
# the database pool has connections, so none waits for a connection.
REQUEST_THREADS = env_int(
    env, "REQUEST_THREADS", default=DATABASE_TIMEOUTS.pool_max_size, minimum=1
)
DATABASES = {
    "default": database_config(
        env, sqlite_path=BASE_DIR / "db.sqlite3", timeouts=DATABASE_TIMEOUTS
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- redis, queues and cache ----------------------------------------------------

FASTSHIP_REDIS = redis_config(env)
FASTSHIP_REDIS_TIMEOUTS = RedisTimeouts(
    connect_seconds=env_float(env, "REDIS_CONNECT_TIMEOUT", default=1.0, minimum=0.01),
    socket_seconds=env_float(env, "REDIS_SOCKET_TIMEOUT", default=1.0, minimum=0.01),
    retries=env_int(env, "REDIS_RETRIES", default=1, minimum=0),
)
# The throttles' client: a hung Redis may cost a login 0.2 s, never seconds.
THROTTLE_REDIS_TIMEOUTS = RedisTimeouts(
    connect_seconds=env_float(env, "THROTTLE_REDIS_TIMEOUT", default=0.2, minimum=0.01),
    socket_seconds=env_float(env, "THROTTLE_REDIS_TIMEOUT", default=0.2, minimum=0.01),
    retries=0,
)
RQ_JOB_TIMEOUT = env_int(env, "RQ_JOB_TIMEOUT", default=60, minimum=1)
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
# Seconds between relay runs; a pending mail this old is handed over again.
NOTIFICATION_RELAY_EVERY = env_int(
    env, "NOTIFICATION_RELAY_EVERY", default=60, minimum=1
)
# CloudWatch namespace of the application's own metrics (fastship/metrics.py),
# written as embedded-metric-format lines on stdout; empty: none written.
CLOUDWATCH_METRICS_NAMESPACE = env.get("CLOUDWATCH_METRICS_NAMESPACE", "").strip()
# Run by the worker (fastship/worker.py) every `every_seconds`, whatever became
# of the last run, of the worker or of Redis's contents.
FASTSHIP_PERIODIC_JOBS = [
    {
        "name": "notifications-relay",
        "func": "shipping.jobs.relay_notifications_job",
        "every_seconds": NOTIFICATION_RELAY_EVERY,
    },
    {
        "name": "requestlog-prune",
        "func": "fastship.requestlog.jobs.prune_request_logs_job",
        "every_seconds": 24 * 3600,
    },
    {
        "name": "expired-tokens-flush",
        "func": "shipping.jobs.flush_expired_tokens_job",
        "every_seconds": 24 * 3600,
    },
]

if FASTSHIP_REDIS is not None:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": FASTSHIP_REDIS.url,
            "OPTIONS": client_options(FASTSHIP_REDIS, FASTSHIP_REDIS_TIMEOUTS),
            "KEY_PREFIX": "fastship",
        },
        # The throttles' counters: a request must never wait long on them.
        "throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": FASTSHIP_REDIS.url,
            "OPTIONS": client_options(FASTSHIP_REDIS, THROTTLE_REDIS_TIMEOUTS),
            "KEY_PREFIX": "fastship",
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "throttle": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "throttle",
        },
    }

# --- auth -----------------------------------------------------------------------

AUTH_USER_MODEL = "shipping.User"
_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]
if FASTSHIP_ENV == "test":
    # Hashing speed is irrelevant to what the tests prove.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["fastship.api_parsers.LimitedJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # simplejwt's checks, the user read by a query compiled once.
        "shipping.authentication.UserJWTAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "fastship.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        # per client address / per account (the email in the body)
        "login": env.get("THROTTLE_LOGIN", "").strip() or "20/min",
        "login_account": env.get("THROTTLE_LOGIN_ACCOUNT", "").strip() or "10/min",
        "signup": env.get("THROTTLE_SIGNUP", "").strip() or "10/hour",
        "password_reset": env.get("THROTTLE_PASSWORD_RESET", "").strip() or "10/hour",
        "password_reset_account": (
            env.get("THROTTLE_PASSWORD_RESET_ACCOUNT", "").strip() or "3/hour"
        ),
        "verification": env.get("THROTTLE_VERIFICATION", "").strip() or "30/min",
        "verification_resend": (
            env.get("THROTTLE_VERIFICATION_RESEND", "").strip() or "10/hour"
        ),
        "verification_resend_account": (
            env.get("THROTTLE_VERIFICATION_RESEND_ACCOUNT", "").strip() or "3/hour"
        ),
        # shipment creates per seller (each one mails the recipient)
        "shipment_create": (
            env.get("THROTTLE_SHIPMENT_CREATE", "").strip() or "120/min"
        ),
        # failed admin logins only, per client address / per account
        "admin_login": env.get("THROTTLE_ADMIN_LOGIN", "").strip() or "30/hour",
        "admin_login_account": (
            env.get("THROTTLE_ADMIN_LOGIN_ACCOUNT", "").strip() or "10/hour"
        ),
    },
    "NUM_PROXIES": env_int(env, "REQUEST_LOG_TRUSTED_PROXIES", default=0, minimum=0),
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SECRET,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    # Tokens carry a hash of the password hash: a password reset or change
    # revokes every access token at once, not 15 minutes later.
    "CHECK_REVOKE_TOKEN": True,
    "REVOKE_TOKEN_CLAIM": "hash_password",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "FastShip API",
    "DESCRIPTION": (
        "Shipping management: sellers ship, delivery partners carry, recipients "
        "track and review. Authenticate with `Authorization: Bearer <access token>` "
        "from `POST /api/v1/auth/token/`. Errors use one format: "
        '`{"type": ..., "errors": [{"code", "detail", "attr"}]}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        name: f"drf_standardized_errors.openapi_serializers.{name}.choices"
        for name in (
            "ValidationErrorEnum",
            "ClientErrorEnum",
            "ServerErrorEnum",
            *(
                f"ErrorCode{code}Enum"
                for code in (401, 403, 404, 405, 406, 415, 429, 500)
            ),
        )
    },
    "POSTPROCESSING_HOOKS": [
        "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
        "fastship.openapi.document_domain_errors",
    ],
}
DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "fastship.api_errors.ExceptionHandler",
    # 409 and 413 are documented by fastship.openapi.document_domain_errors.
    "ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "415", "429"],
}

# --- email ----------------------------------------------------------------------

DEFAULT_FROM_EMAIL = (
    env.get("DEFAULT_FROM_EMAIL", "").strip() or "FastShip <no-reply@localhost>"
)
if env.get("MAILTRAP_USERNAME", "").strip():
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.get("EMAIL_HOST", "").strip() or "sandbox.smtp.mailtrap.io"
    EMAIL_PORT = env_int(env, "EMAIL_PORT", default=2525, minimum=1)
    EMAIL_HOST_USER = env["MAILTRAP_USERNAME"].strip()
    EMAIL_HOST_PASSWORD = require(
        env, "MAILTRAP_PASSWORD", why="with MAILTRAP_USERNAME"
    )
    EMAIL_USE_TLS = env_bool(env, "EMAIL_USE_TLS", default=True)
elif env.get("EMAIL_HOST", "").strip() or IS_PRODUCTION:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.get("EMAIL_HOST", "").strip() or "localhost"
    EMAIL_PORT = env_int(env, "EMAIL_PORT", default=587, minimum=1)
    EMAIL_HOST_USER = env.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool(env, "EMAIL_USE_TLS", default=IS_PRODUCTION)
elif FASTSHIP_ENV == "test":
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
else:
    EMAIL_BACKEND = "fastship.mail.CompactConsoleBackend"  # readable, not MIME
# An SMTP server that stops answering must not hold a worker forever.
EMAIL_TIMEOUT = env_int(env, "EMAIL_TIMEOUT", default=10, minimum=1)
# Seconds a mail may stay claimed ("sending") before it needs an operator:
# past this, it may or may not have been sent, and is never sent again alone.
NOTIFICATION_SEND_LEASE = env_int(
    env, "NOTIFICATION_SEND_LEASE", default=300, minimum=EMAIL_TIMEOUT * 3
)
# Shipment mails to one address in an hour; beyond it they are held (the API
# call still succeeds) until an operator releases them: a seller cannot make
# FastShip mail one address without limit.
NOTIFICATION_RECIPIENT_HOURLY_LIMIT = env_int(
    env, "NOTIFICATION_RECIPIENT_HOURLY_LIMIT", default=20, minimum=1
)

# --- health ---------------------------------------------------------------------

HEALTH_TOKEN = env.get("HEALTH_TOKEN", "").strip() or None
# Readiness (/api/v1/health): the whole answer within HEALTH_DEADLINE seconds,
# each check within HEALTH_CHECK_TIMEOUT, results reused for HEALTH_CACHE_TTL.
HEALTH_DEADLINE = env_float(env, "HEALTH_DEADLINE", default=2.0, minimum=0.1)
HEALTH_CHECK_TIMEOUT = env_float(env, "HEALTH_CHECK_TIMEOUT", default=1.0, minimum=0.05)
HEALTH_CACHE_TTL = env_float(env, "HEALTH_CACHE_TTL", default=2.0, minimum=0.0)
# A queue whose oldest job waited longer than this many seconds is a warning.
HEALTH_QUEUE_MAX_AGE = env_float(
    env, "HEALTH_QUEUE_MAX_AGE", default=300.0, minimum=1.0
)

# --- request logging ----------------------------------------------------------

# Off: no records (request ids are still returned).
REQUEST_LOG_ENABLED = env_bool(env, "REQUEST_LOG_ENABLED", default=True)
# Records held in memory at most; beyond this a record is dropped and counted.
REQUEST_LOG_BUFFER_SIZE = env_int(
    env, "REQUEST_LOG_BUFFER_SIZE", default=10_000, minimum=1
)
# One RQ job per batch: this many records, or what came in REQUEST_LOG_FLUSH_INTERVAL s.
REQUEST_LOG_BATCH_SIZE = env_int(env, "REQUEST_LOG_BATCH_SIZE", default=200, minimum=1)
REQUEST_LOG_FLUSH_INTERVAL = env_float(
    env, "REQUEST_LOG_FLUSH_INTERVAL", default=1.0, minimum=0.01
)
# Connect and reply timeout of the shipper's own Redis client (no retries).
REQUEST_LOG_ENQUEUE_TIMEOUT = env_float(
    env, "REQUEST_LOG_ENQUEUE_TIMEOUT", default=0.2, minimum=0.01
)
# Failures in a row that open the breaker, and seconds it stays open.
REQUEST_LOG_BREAKER_THRESHOLD = env_int(
    env, "REQUEST_LOG_BREAKER_THRESHOLD", default=3, minimum=1
)
REQUEST_LOG_BREAKER_RESET_SECONDS = env_float(
    env, "REQUEST_LOG_BREAKER_RESET_SECONDS", default=30.0, minimum=0.1
)
# Longest wait at process exit to ship what is buffered (the rest goes to stdout).
REQUEST_LOG_EXIT_FLUSH_SECONDS = env_float(
    env, "REQUEST_LOG_EXIT_FLUSH_SECONDS", default=2.0, minimum=0.0
)
# Seconds an enqueued batch may wait for the worker to confirm it stored it;
# then it is written to the stdout fallback as well (never lost, maybe twice).
REQUEST_LOG_CONFIRM_SECONDS = env_float(
    env, "REQUEST_LOG_CONFIRM_SECONDS", default=120.0, minimum=1.0
)
# Share of 2xx/3xx responses kept (0..1); 4xx, 5xx and slow requests always are.
REQUEST_LOG_SAMPLE_RATE = env_float(
    env, "REQUEST_LOG_SAMPLE_RATE", default=1.0, minimum=0.0
)
REQUEST_LOG_SLOW_MS = env_float(env, "REQUEST_LOG_SLOW_MS", default=1000.0, minimum=0.0)
# Proxies in front that append to X-Forwarded-For (0: use the socket peer).
REQUEST_LOG_TRUSTED_PROXIES = env_int(
    env, "REQUEST_LOG_TRUSTED_PROXIES", default=0, minimum=0
)
# Stored records older than this many days are pruned.
REQUEST_LOG_RETENTION_DAYS = env_int(
    env, "REQUEST_LOG_RETENTION_DAYS", default=30, minimum=1
)
# Readiness warns when a record was dropped within this many seconds.
REQUEST_LOG_DROP_WARN_SECONDS = env_float(
    env, "REQUEST_LOG_DROP_WARN_SECONDS", default=300.0, minimum=1.0
)

# --- internationalisation and static files ---------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
# The image installs the code as a package: its static files live in /app.
STATIC_ROOT = Path(
    env.get("DJANGO_STATIC_ROOT", "").strip() or BASE_DIR / "staticfiles"
)
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
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int(
    env, "DJANGO_MAX_BODY_BYTES", default=1_048_576, minimum=1024
)

# --- logging --------------------------------------------------------------------

LOG_LEVEL = env.get("LOG_LEVEL", "").strip().upper() or "INFO"
LOG_JSON = env_bool(env, "LOG_JSON", default=IS_PRODUCTION)
LOGGING = logging_config(json_lines=LOG_JSON, level=LOG_LEVEL)

# --- security (production) ------------------------------------------------------

# The ALB terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool(env, "DJANGO_SECURE_SSL_REDIRECT", default=IS_PRODUCTION)
SESSION_COOKIE_SECURE = IS_PRODUCTION
CSRF_COOKIE_SECURE = IS_PRODUCTION
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int(
    env,
    "DJANGO_SECURE_HSTS_SECONDS",
    default=31_536_000 if IS_PRODUCTION else 0,
    minimum=0,
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = IS_PRODUCTION
SECURE_HSTS_PRELOAD = IS_PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
