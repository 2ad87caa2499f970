"""Read typed values and service configurations from an environment mapping.

Pure functions over a mapping (normally ``os.environ``), so settings stay one
readable module and every parsing rule is testable without reloading Django.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from fastship.config.features import Email
from fastship.config.runtime import Database, Redis
from fastship.redis import RedisTimeouts

# --- database -------------------------------------------------------------------


@dataclass(frozen=True)
class DatabaseTimeouts:
    """Bounds every database connection gets, whatever the URL says."""

    connect_seconds: int = Database.DATABASE_CONNECT_TIMEOUT.default
    statement_ms: int = Database.DATABASE_STATEMENT_TIMEOUT_MS.default
    lock_ms: int = Database.DATABASE_LOCK_TIMEOUT_MS.default
    pool: bool = Database.DATABASE_POOL.default
    pool_min_size: int = Database.DATABASE_POOL_MIN_SIZE.default
    pool_max_size: int = Database.DATABASE_POOL_MAX_SIZE.default
    pool_timeout_seconds: float = Database.DATABASE_POOL_TIMEOUT.default

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> DatabaseTimeouts:
        return cls(
            connect_seconds=Database.DATABASE_CONNECT_TIMEOUT.read(environ),
            statement_ms=Database.DATABASE_STATEMENT_TIMEOUT_MS.read(environ),
            lock_ms=Database.DATABASE_LOCK_TIMEOUT_MS.read(environ),
            pool=Database.DATABASE_POOL.read(environ),
            pool_min_size=Database.DATABASE_POOL_MIN_SIZE.read(environ),
            pool_max_size=Database.DATABASE_POOL_MAX_SIZE.read(environ),
            pool_timeout_seconds=Database.DATABASE_POOL_TIMEOUT.read(environ),
        )


# Embedded mode's writers (requests, inline jobs, request logs) take turns.
SQLITE_BUSY_SECONDS = 20


def database_config(
    environ: Mapping[str, str], *, sqlite_path: Path, timeouts: DatabaseTimeouts
) -> dict[str, Any]:
    """Build the database from ``DATABASE_URL``, ``POSTGRES_*`` or SQLite."""
    url = Database.DATABASE_URL.read(environ)
    if not url and Database.POSTGRES_HOST.read(environ):
        url = _postgres_url_from_parts(environ)
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(sqlite_path),
            "OPTIONS": {
                # A writer waits this long for another's write, then errors.
                "timeout": SQLITE_BUSY_SECONDS,
                # A transaction takes the write lock when it begins: one that
                # read first and then wrote could not wait for it (SQLite
                # answers "database is locked" at once, to avoid a deadlock).
                "transaction_mode": "IMMEDIATE",
                # Readers never wait for the writer, nor it for them.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    config: dict[str, Any] = dict(dj_database_url.parse(url))
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            f"DATABASE_URL must be a postgres:// URL, got scheme for {config['ENGINE']}"
        )
    config["OPTIONS"] = _postgres_options(dict(config.get("OPTIONS") or {}), timeouts)
    if timeouts.pool:
        # A pooled connection is returned after each request; persistent
        # per-thread connections and pooling exclude each other in Django.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"]["pool"] = {
            "min_size": min(timeouts.pool_min_size, timeouts.pool_max_size),
            "max_size": timeouts.pool_max_size,
            "timeout": timeouts.pool_timeout_seconds,
        }
    else:
        config["CONN_MAX_AGE"] = 60
    # With the pool, Django then passes psycopg_pool's check_connection: a
    # connection the server closed (a restart, pg_terminate_backend) is found
    # out and replaced before a request gets it.
    config["CONN_HEALTH_CHECKS"] = True
    return config


def _postgres_url_from_parts(environ: Mapping[str, str]) -> str:
    host = Database.POSTGRES_HOST.read(environ)
    port = Database.POSTGRES_PORT.read(environ)
    name = Database.POSTGRES_DB.read(environ)
    user = quote(Database.POSTGRES_USER.read(environ), safe="")
    password = Database.POSTGRES_PASSWORD.read(environ)
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    query = [
        f"{key}={quote(value, safe='')}"
        for key, value in (
            ("sslmode", Database.POSTGRES_SSLMODE.read(environ)),
            ("sslrootcert", Database.POSTGRES_SSLROOTCERT.read(environ)),
        )
        if value
    ]
    suffix = f"?{'&'.join(query)}" if query else ""
    return f"postgres://{credentials}@{host}:{port}/{quote(name, safe='')}{suffix}"


def _postgres_options(
    options: dict[str, Any], timeouts: DatabaseTimeouts
) -> dict[str, Any]:
    # asyncpg spells TLS ``ssl=require``; libpq (and so psycopg) wants sslmode.
    ssl = options.pop("ssl", None)
    if ssl is not None and "sslmode" not in options:
        options["sslmode"] = {"true": "require", "1": "require"}.get(
            str(ssl).lower(), ssl
        )
    options.setdefault("connect_timeout", timeouts.connect_seconds)
    libpq_options = str(options.get("options", "")).strip()
    if "statement_timeout" not in libpq_options:
        libpq_options = (
            f"{libpq_options} -c statement_timeout={timeouts.statement_ms}".strip()
        )
    if timeouts.lock_ms and "lock_timeout" not in libpq_options:
        libpq_options = f"{libpq_options} -c lock_timeout={timeouts.lock_ms}"
    options["options"] = libpq_options
    # Parameters sent apart from the statement (psycopg's C adapters instead of
    # quoting every value into the SQL in Python), and a statement run a few
    # times on a connection prepared there: PostgreSQL then neither parses
    # nor plans it again. No pooler sits between (RDS direct).
    options.setdefault("server_side_binding", True)
    options.setdefault("prepare_threshold", 5)
    return options


def redis_timeouts(environ: Mapping[str, str]) -> tuple[RedisTimeouts, RedisTimeouts]:
    """(every client's bounds, the throttles' client's: short, no retries)."""
    throttle = Redis.THROTTLE_REDIS_TIMEOUT.read(environ)
    return (
        RedisTimeouts(
            connect_seconds=Redis.REDIS_CONNECT_TIMEOUT.read(environ),
            socket_seconds=Redis.REDIS_SOCKET_TIMEOUT.read(environ),
            retries=Redis.REDIS_RETRIES.read(environ),
        ),
        RedisTimeouts(connect_seconds=throttle, socket_seconds=throttle, retries=0),
    )


# --- email ----------------------------------------------------------------------


def email_settings(environ: Mapping[str, str], environment: str) -> dict[str, Any]:
    """Django's EMAIL_* settings: SMTP when a host (or Mailtrap) is set, or in
    production; else the compact console backend (readable, not MIME)."""
    values: dict[str, Any] = {
        variable.name: variable.read(environ, environment)
        for variable in (
            Email.EMAIL_HOST,
            Email.EMAIL_PORT,
            Email.EMAIL_HOST_USER,
            Email.EMAIL_HOST_PASSWORD,
            Email.EMAIL_USE_TLS,
        )
    }
    if mailtrap_user := Email.MAILTRAP_USERNAME.read(environ):
        password = Email.MAILTRAP_PASSWORD.read(environ)
        if not password:
            raise ImproperlyConfigured(
                "MAILTRAP_PASSWORD is required with MAILTRAP_USERNAME"
                " (see .env.example)."
            )
        values |= {
            "EMAIL_HOST": values["EMAIL_HOST"] or "sandbox.smtp.mailtrap.io",
            "EMAIL_PORT": Email.EMAIL_PORT.read(environ, default=2525),
            "EMAIL_HOST_USER": mailtrap_user,
            "EMAIL_HOST_PASSWORD": password,
            "EMAIL_USE_TLS": Email.EMAIL_USE_TLS.read(environ, default=True),
        }
    if values["EMAIL_HOST"] or environment == "production":
        values["EMAIL_BACKEND"] = "django.core.mail.backends.smtp.EmailBackend"
        values["EMAIL_HOST"] = values["EMAIL_HOST"] or "localhost"
    else:
        values["EMAIL_BACKEND"] = "fastship.mail.CompactConsoleBackend"
    return values


# --- redis ----------------------------------------------------------------------


@dataclass(frozen=True)
class RedisConfig:
    """Where Redis is: from ``REDIS_URL``, or ``REDIS_HOST``/``PORT``/``DB``."""

    host: str
    port: int = 6379
    db: int = 0
    username: str | None = None
    # Kept out of repr(): settings, tracebacks and debug pages print the config.
    password: str | None = field(default=None, repr=False)
    ssl: bool = False
    ssl_cert_reqs: str = "required"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """Return the URL form (for Django's cache), credentials included."""
        scheme = "rediss" if self.ssl else "redis"
        auth = ""
        if self.password is not None:
            user = quote(self.username or "", safe="")
            auth = f"{user}:{quote(self.password, safe='')}@"
        elif self.username:
            auth = f"{quote(self.username, safe='')}@"
        return f"{scheme}://{auth}{self.host}:{self.port}/{self.db}"

    @property
    def safe_url(self) -> str:
        """Return the URL without credentials, for logs and health output."""
        scheme = "rediss" if self.ssl else "redis"
        return f"{scheme}://{self.host}:{self.port}/{self.db}"


def redis_config(environ: Mapping[str, str]) -> RedisConfig | None:
    """Return the Redis location, or ``None`` when Redis is not configured."""
    if url := Redis.REDIS_URL.read(environ):
        return _redis_from_url(url)
    if not (host := Redis.REDIS_HOST.read(environ)):
        return None
    return RedisConfig(
        host=host,
        port=Redis.REDIS_PORT.read(environ),
        db=Redis.REDIS_DB.read(environ),
        password=Redis.REDIS_PASSWORD.read(environ) or None,
        ssl=Redis.REDIS_SSL.read(environ),
    )


def without_credentials(url: str) -> str:
    """Return ``url`` with its user and password replaced, for messages and logs."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"***@{host}").geturl()


def _redis_from_url(url: str) -> RedisConfig:
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss"}:
        raise ImproperlyConfigured(
            f"REDIS_URL must start with redis:// or rediss://, got {parts.scheme!r}"
        )
    if not parts.hostname:
        raise ImproperlyConfigured("REDIS_URL has no host")
    query = dict(parse_qsl(parts.query))
    path_db = parts.path.strip("/")
    db_text = path_db or query.pop("db", "0")
    try:
        db = int(db_text)
        port = parts.port or 6379
    except ValueError:
        raise ImproperlyConfigured(
            f"REDIS_URL has an invalid port or database: {without_credentials(url)!r}"
        ) from None
    cert_reqs = query.pop("ssl_cert_reqs", "required")
    return RedisConfig(
        host=parts.hostname,
        port=port,
        db=db,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        ssl=parts.scheme == "rediss",
        ssl_cert_reqs=cert_reqs,
        extra=query,
    )
