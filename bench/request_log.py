"""Benchmark request logging: off, on with Redis healthy, Redis hanging, Redis refused.

Run: make bench-requestlog   (needs wrk, PostgreSQL and Redis on their local ports)
Targets: each logging-on configuration reaches at least 0.95 of logging-off
requests/s; zero failed requests; with Redis healthy, zero records lost (rows
stored = requests the server counted).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import psycopg

from bench.harness import (
    PRODUCTION,
    cpu_note,
    median,
    pinned_server,
    require_tools,
    run_wrk,
)
from tests.servers import (
    PROJECT_DIR,
    closed_port,
    hanging_port,
    http_request,
    server_env,
)

TARGET_RATIO = 0.95
PATH = "/api/v1/"
DATABASE = "fastship_bench"
POSTGRES = "postgres://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/2"
TOKEN = "bench-health-token-0123456789"
CONFIGURATIONS = ("off", "healthy", "hanging", "refused")


def prepare_database(database: str = DATABASE) -> str:
    """Create and migrate a benchmark database; return its URL."""
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{database}"')
    url = f"{POSTGRES}/{database}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=PROJECT_DIR,
        env=server_env(DJANGO_ENV="test", DATABASE_URL=url, REDIS_URL=None),
        check=True,
    )
    return url


def row_count(url: str) -> int:
    with psycopg.connect(url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM requestlog_requestlog"
        ).fetchone()
        return int(row[0]) if row else 0


def truncate(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("TRUNCATE requestlog_requestlog")


@contextmanager
def worker(database_url: str) -> Iterator[None]:
    """Run an RQ worker draining the request_logs queue (on CPU 1, beside wrk)."""
    argv = [
        "taskset",
        "-c",
        "1",
        sys.executable,
        "manage.py",
        "rqworker",
        "request_logs",
    ]
    process = subprocess.Popen(
        argv,
        cwd=PROJECT_DIR,
        env=server_env(
            DJANGO_ENV="test", DATABASE_URL=database_url, REDIS_URL=REDIS_URL
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def rows_when_drained(url: str, expected: int, timeout: float = 60) -> int:
    """Wait until the worker stored ``expected`` rows or stopped making progress."""
    deadline = time.monotonic() + timeout
    rows, last_change = row_count(url), time.monotonic()
    while rows < expected and time.monotonic() < deadline:
        time.sleep(0.2)
        now_rows = row_count(url)
        if now_rows != rows:
            rows, last_change = now_rows, time.monotonic()
        elif time.monotonic() - last_change > 10:
            break  # nothing arrived for 10 s: what is missing is lost
    return rows


def shipper_stats(port: int) -> dict:
    response = http_request(
        port,
        "/api/v1/health",
        headers={"Host": "localhost", "Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    checks = json.loads(response.body)["checks"]
    return checks["requestlog:shipper"][0]["observedValue"]


def run_configuration(name: str, seconds: int, database_url: str) -> dict:
    env: dict[str, str | None] = {
        **PRODUCTION,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "HEALTH_TOKEN": TOKEN,
        "REQUEST_LOG_ENABLED": "0" if name == "off" else "1",
    }
    with ExitStack() as stack:
        if name == "hanging":
            env["REDIS_URL"] = (
                f"redis://127.0.0.1:{stack.enter_context(hanging_port())}/0"
            )
        elif name == "refused":
            env["REDIS_URL"] = (
                f"redis://127.0.0.1:{stack.enter_context(closed_port())}/0"
            )
        with pinned_server("fastship.asgi:application", **env) as port:
            result = run_wrk(port, PATH, seconds=seconds)
            stats = shipper_stats(port)
    return {"wrk": result, "stats": stats}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    require_tools()
    database_url = prepare_database()
    print(
        f"request-log benchmark: GET {PATH}, {options.rounds} rounds x "
        f"{options.seconds}s per configuration, {cpu_note()}"
    )
    rps: dict[str, list[float]] = {name: [] for name in CONFIGURATIONS}
    failures = 0
    lost_total = 0
    with worker(database_url):
        for round_number in range(1, options.rounds + 1):
            for name in CONFIGURATIONS:
                truncate(database_url)
                outcome = run_configuration(name, options.seconds, database_url)
                result, stats = outcome["wrk"], outcome["stats"]
                rps[name].append(result.requests_per_second)
                failures += result.errors
                rate = result.requests_per_second
                line = (
                    f"round {round_number} {name:>8}: {rate:,.0f} "
                    f"req/s, p99 {result.p99_ms:.2f} ms, errors {result.errors}"
                )
                if name == "healthy":
                    # The server counted `buffered` before the stats request itself,
                    # which is logged too and flushed at exit.
                    expected = stats["buffered"] + 1
                    rows = rows_when_drained(database_url, expected)
                    lost = expected - rows
                    lost_total += max(lost, 0)
                    line += (
                        f", wrk {result.requests:,} done, server logged {expected:,}, "
                        f"rows stored {rows:,}, lost {lost}"
                    )
                elif name != "off":
                    line += (
                        f", breaker {stats['breaker']}, fallback "
                        f"{stats['fallbackWritten']:,}, dropped {stats['dropped']:,}"
                    )
                print(line, flush=True)
    baseline = median(rps["off"])
    passed = failures == 0 and lost_total == 0
    print(f"median logging off: {baseline:,.0f} req/s")
    for name in CONFIGURATIONS[1:]:
        ratio = median(rps[name]) / baseline
        passed = passed and ratio >= TARGET_RATIO
        print(f"median {name:>8}: {median(rps[name]):,.0f} req/s, ratio {ratio:.3f}")
    print(
        f"failed requests {failures}, records lost {lost_total}; target ratio >= 0.95"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
