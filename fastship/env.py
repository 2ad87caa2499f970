"""Read typed values and service configurations from an environment mapping.

Pure functions over a mapping (normally ``os.environ``), so settings stay one
readable module and every parsing rule is testable without reloading Django.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def env_bool(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    """Return the boolean value of ``name``, or ``default`` when it is unset."""
    raw = environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name} must be a boolean (1/0, true/false), got {raw!r}"
    )


def env_int(
    environ: Mapping[str, str], name: str, *, default: int, minimum: int | None = None
) -> int:
    """Return the integer value of ``name``, or ``default`` when it is unset."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_float(
    environ: Mapping[str, str], name: str, *, default: float, minimum: float = 0.0
) -> float:
    """Return the float value of ``name``, or ``default`` when it is unset."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(environ: Mapping[str, str], name: str, *, default: list[str]) -> list[str]:
    """Return the comma-separated list in ``name``, or ``default`` when it is unset."""
    raw = environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_networks(
    environ: Mapping[str, str], name: str
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Return the comma-separated networks (``10.0.0.0/16``, ``2001:db8::1``)."""
    networks = []
    for item in env_list(environ, name, default=[]):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"{name} must list networks such as 10.0.0.0/16, got {item!r}"
            ) from None
    return networks


def require(environ: Mapping[str, str], name: str, *, why: str) -> str:
    """Return ``name`` or fail start-up with a message naming the variable."""
    value = environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} is required {why} (see .env.example).")
    return value


# --- database -------------------------------------------------------------------


@dataclass(frozen=True)
class DatabaseTimeouts:
    """Bounds every database connection gets, whatever the URL says."""

    connect_seconds: int = 5
    statement_ms: int = 5000
    pool: bool = False
    pool_min_size: int = 1
    pool_max_size: int = 10
    pool_timeout_seconds: float = 0.8


def database_config(
    environ: Mapping[str, str], *, sqlite_path: Path, timeouts: DatabaseTimeouts
) -> dict[str, Any]:
    """Build the database from ``DATABASE_URL``, ``POSTGRES_*`` or SQLite."""
    url = environ.get("DATABASE_URL", "").strip()
    if not url and environ.get("POSTGRES_HOST", "").strip():
        url = _postgres_url_from_parts(environ)
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(sqlite_path),
            # SQLite's busy timeout: a locked file waits this long, then errors.
            "OPTIONS": {"timeout": timeouts.connect_seconds},
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
            "min_size": timeouts.pool_min_size,
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
    host = environ["POSTGRES_HOST"].strip()
    port = environ.get("POSTGRES_PORT", "").strip() or "5432"
    name = environ.get("POSTGRES_DB", "").strip() or "fastship"
    user = quote(environ.get("POSTGRES_USER", "").strip() or "postgres", safe="")
    password = environ.get("POSTGRES_PASSWORD", "")
    credentials = f"{user}:{quote(password, safe='')}" if password else user
    query = [
        f"{key}={quote(environ[var].strip(), safe='')}"
        for key, var in (
            ("sslmode", "POSTGRES_SSLMODE"),
            ("sslrootcert", "POSTGRES_SSLROOTCERT"),
        )
        if environ.get(var, "").strip()
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
    options["options"] = libpq_options
    return options


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
    url = environ.get("REDIS_URL", "").strip()
    if url:
        return _redis_from_url(url)
    host = environ.get("REDIS_HOST", "").strip()
    if not host:
        return None
    return RedisConfig(
        host=host,
        port=env_int(environ, "REDIS_PORT", default=6379, minimum=1),
        db=env_int(environ, "REDIS_DB", default=0, minimum=0),
        password=environ.get("REDIS_PASSWORD") or None,
        ssl=env_bool(environ, "REDIS_SSL", default=False),
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
