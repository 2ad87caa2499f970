"""Choose the services `make test` runs against; print shell `export` lines.

DATABASE_URL and REDIS_URL win when set. Otherwise PostgreSQL and Redis on
their default local ports are used when they answer. Otherwise the tests run
on SQLite with the PostgreSQL and Redis tests skipped, and the reason is
printed; FASTSHIP_REQUIRE_SERVICES=1 turns that fallback into a failure.
"""

from __future__ import annotations

import os
import shlex
import sys

LOCAL_POSTGRES = "postgres://postgres@127.0.0.1:5432/fastship"
LOCAL_REDIS = "redis://127.0.0.1:6379/1"


def say(message: str) -> None:
    print(f"test services: {message}", file=sys.stderr)


def postgres_answers(url: str) -> str | None:
    import psycopg

    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin_url, connect_timeout=2) as connection:
            connection.execute("SELECT 1")
    except Exception as error:  # any failure means "not usable", with the reason
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0]}"
    return None


def redis_answers(url: str) -> str | None:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        client.close()
    except Exception as error:
        return f"{type(error).__name__}: {error}"
    return None


def drop_abandoned_test_databases(url: str) -> None:
    """Drop ``test_<name>_<pid>`` databases (``_gw<n>`` for each pytest-xdist
    worker) whose run (that pid) is gone: a run killed before its end leaves
    its test databases behind."""
    import re

    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    pattern = re.compile(rf"^test_{re.escape(name)}_(\d+)(_gw\d+)?$")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, connect_timeout=2, autocommit=True) as db:
        names = [row[0] for row in db.execute("SELECT datname FROM pg_database")]
        for database in names:
            found = pattern.match(database)
            if found and not os.path.exists(f"/proc/{found[1]}"):
                say(f"dropping {database}, left by a run that is gone")
                db.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def main() -> int:
    required = os.environ.get("FASTSHIP_REQUIRE_SERVICES") == "1"
    exports: dict[str, str] = {}
    missing: list[str] = []
    for name, local_url, probe in (
        ("DATABASE_URL", LOCAL_POSTGRES, postgres_answers),
        ("REDIS_URL", LOCAL_REDIS, redis_answers),
    ):
        url = os.environ.get(name, "").strip()
        if url:
            problem = probe(url)
            if problem is None:
                say(f"{name} from the environment answers")
                exports[name] = url
                continue
            missing.append(f"{name} is set but does not answer ({problem})")
            continue
        problem = probe(local_url)
        if problem is None:
            say(f"using the local service for {name}: {local_url}")
            exports[name] = local_url
        else:
            missing.append(f"{name} unset and {local_url} does not answer ({problem})")
    for reason in missing:
        say(reason)
    if missing and required:
        say(
            "FASTSHIP_REQUIRE_SERVICES=1: refusing to fall back to SQLite or skip tests"
        )
        return 1
    if missing:
        say("falling back: tests that need PostgreSQL or Redis will be skipped")
    if "DATABASE_URL" in exports:
        drop_abandoned_test_databases(exports["DATABASE_URL"])
    for name, value in exports.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
