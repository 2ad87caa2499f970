"""Configuration parsing: the database and Redis from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from fastship.env import DatabaseTimeouts, database_config, redis_config

SQLITE = Path("/tmp/fastship-test.sqlite3")
TIMEOUTS = DatabaseTimeouts(connect_seconds=4, statement_ms=3000)


def parse_db(environ: dict[str, str], timeouts: DatabaseTimeouts = TIMEOUTS) -> dict:
    return database_config(environ, sqlite_path=SQLITE, timeouts=timeouts)


class TestDatabaseConfig:
    def test_url_without_options_gets_timeouts(self):
        """A plain URL still gets a connect timeout and a statement timeout."""
        config = parse_db(
            {"DATABASE_URL": "postgres://app:s3cret@db.internal:5433/ships"}
        )
        assert config["ENGINE"] == "django.db.backends.postgresql"
        assert (config["HOST"], config["PORT"], config["NAME"]) == (
            "db.internal",
            5433,
            "ships",
        )
        assert (config["USER"], config["PASSWORD"]) == ("app", "s3cret")
        assert config["OPTIONS"]["connect_timeout"] == 4
        assert config["OPTIONS"]["options"] == "-c statement_timeout=3000"

    def test_libpq_ssl_options_pass_through(self):
        """sslmode and sslrootcert in the URL reach libpq unchanged."""
        config = parse_db(
            {
                "DATABASE_URL": "postgres://app@db/ships?sslmode=verify-full"
                "&sslrootcert=/etc/ssl/rds-global-bundle.pem&connect_timeout=2"
            }
        )
        options = config["OPTIONS"]
        assert options["sslmode"] == "verify-full"
        assert options["sslrootcert"] == "/etc/ssl/rds-global-bundle.pem"
        assert options["connect_timeout"] == 2

    def test_asyncpg_ssl_require_becomes_sslmode(self):
        """The asyncpg spelling ssl=require is translated to libpq's sslmode=require."""
        config = parse_db({"DATABASE_URL": "postgresql://app@db/ships?ssl=require"})
        assert config["OPTIONS"]["sslmode"] == "require"
        assert "ssl" not in config["OPTIONS"]

    def test_existing_libpq_options_keep_their_statement_timeout(self):
        """A statement timeout given in the URL is not overridden."""
        config = parse_db(
            {
                "DATABASE_URL": "postgres://app@db/ships?options=-c%20statement_timeout%3D900"
            }
        )
        assert config["OPTIONS"]["options"] == "-c statement_timeout=900"

    def test_postgres_parts(self):
        """POSTGRES_* variables build the connection when DATABASE_URL is unset."""
        config = parse_db(
            {
                "POSTGRES_HOST": "rds.example",
                "POSTGRES_PORT": "6543",
                "POSTGRES_DB": "fastship",
                "POSTGRES_USER": "ship",
                "POSTGRES_PASSWORD": "p@ss/word:1",
                "POSTGRES_SSLMODE": "verify-full",
                "POSTGRES_SSLROOTCERT": "/certs/rds.pem",
            }
        )
        assert (config["HOST"], config["PORT"], config["NAME"]) == (
            "rds.example",
            6543,
            "fastship",
        )
        assert (config["USER"], config["PASSWORD"]) == ("ship", "p@ss/word:1")
        assert config["OPTIONS"]["sslmode"] == "verify-full"
        assert config["OPTIONS"]["sslrootcert"] == "/certs/rds.pem"

    def test_database_url_wins_over_parts(self):
        """DATABASE_URL is used even when POSTGRES_HOST is set."""
        config = parse_db(
            {"DATABASE_URL": "postgres://a@url-host/x", "POSTGRES_HOST": "parts"}
        )
        assert config["HOST"] == "url-host"

    def test_sqlite_fallback(self):
        """With neither set, an embedded SQLite file is used."""
        config = parse_db({})
        assert config["ENGINE"] == "django.db.backends.sqlite3"
        assert config["NAME"] == str(SQLITE)

    def test_pool_is_bounded_with_a_timeout(self):
        """Under ASGI the psycopg pool is bounded, waits at most its timeout, checks."""
        timeouts = DatabaseTimeouts(
            pool=True, pool_max_size=7, pool_timeout_seconds=2.5
        )
        config = parse_db({"DATABASE_URL": "postgres://a@db/x"}, timeouts)
        assert config["OPTIONS"]["pool"] == {
            "min_size": 4,  # kept warm (DATABASE_POOL_MIN_SIZE)
            "max_size": 7,
            "timeout": 2.5,
        }
        assert config["CONN_HEALTH_CHECKS"] is True
        assert config["CONN_MAX_AGE"] == 0

    def test_non_postgres_url_is_refused(self):
        """Only PostgreSQL URLs are accepted."""
        with pytest.raises(ImproperlyConfigured, match="postgres"):
            parse_db({"DATABASE_URL": "mysql://a@db/x"})


class TestRedisConfig:
    def test_unset_means_no_redis(self):
        """Without REDIS_URL or REDIS_HOST, Redis is not configured."""
        assert redis_config({}) is None

    def test_plain_url(self):
        """redis:// with password and database number."""
        config = redis_config({"REDIS_URL": "redis://:pw%2Fx@cache:6380/3"})
        assert config is not None
        assert (config.host, config.port, config.db) == ("cache", 6380, 3)
        assert config.password == "pw/x"
        assert config.ssl is False
        assert config.safe_url == "redis://cache:6380/3"
        assert "pw" not in config.safe_url
        assert "pw" not in repr(config)  # settings dumps and tracebacks print it

    def test_tls_url(self):
        """rediss:// turns TLS on with certificate verification required."""
        config = redis_config(
            {"REDIS_URL": "rediss://default:tok@master.cache.amazonaws.com:6379"}
        )
        assert config is not None
        assert config.ssl is True
        assert config.ssl_cert_reqs == "required"
        assert config.username == "default"
        assert config.url.startswith("rediss://default:tok@")

    def test_host_port_db(self):
        """REDIS_HOST/REDIS_PORT/REDIS_DB when REDIS_URL is unset."""
        config = redis_config(
            {"REDIS_HOST": "redis", "REDIS_PORT": "6390", "REDIS_DB": "2"}
        )
        assert config is not None
        assert (config.host, config.port, config.db) == ("redis", 6390, 2)
        assert config.url == "redis://redis:6390/2"

    @pytest.mark.parametrize(
        "url", ["http://cache:6379", "redis://", "redis://cache:x/1"]
    )
    def test_bad_urls_are_refused(self, url):
        """A malformed REDIS_URL stops start-up with a clear message."""
        with pytest.raises(ImproperlyConfigured, match="REDIS_URL"):
            redis_config({"REDIS_URL": url})

    @pytest.mark.parametrize(
        "url",
        [
            "redis://:s3cr3t-pw@cache:x/1",
            "rediss://app:s3cr3t-pw@cache:6379/nope",
        ],
    )
    def test_a_refused_url_is_shown_without_its_password(self, url):
        """The start-up error names the URL, never its credentials."""
        with pytest.raises(ImproperlyConfigured) as refused:
            redis_config({"REDIS_URL": url})
        assert "s3cr3t-pw" not in str(refused.value)
        assert "***@cache" in str(refused.value)
        config = redis_config({"REDIS_URL": "redis://:s3cr3t-pw@cache:6379/1"})
        assert "s3cr3t-pw" not in repr(config)
        assert config is not None
        assert "s3cr3t-pw" not in config.safe_url
