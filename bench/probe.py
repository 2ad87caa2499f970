"""Benchmark /health against a bare ASGI app under the same pinned gunicorn worker.

Run: make bench-probe   (or: PYTHONPATH=. .venv/bin/python bench/probe.py)
Target: the project's /health reaches at least 0.8 of the bare app's requests/s.
"""

from __future__ import annotations

import argparse
import sys

from bench.harness import (
    PRODUCTION,
    cpu_note,
    median,
    pinned_server,
    require_tools,
    run_wrk,
)
from tests.servers import hanging_port

TARGET_RATIO = 0.8


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    require_tools()
    print(
        f"probe benchmark: {options.rounds} rounds x {options.seconds}s, {cpu_note()}"
    )
    project: list[float] = []
    bare: list[float] = []
    project_env = {**PRODUCTION, "DATABASE_URL": None, "REDIS_URL": None}
    for round_number in range(1, options.rounds + 1):
        with pinned_server("bench.bare_app:app") as port:
            bare_run = run_wrk(port, "/health", seconds=options.seconds)
        with pinned_server("fastship.asgi:application", **project_env) as port:
            project_run = run_wrk(port, "/health", seconds=options.seconds)
        bare.append(bare_run.requests_per_second)
        project.append(project_run.requests_per_second)
        print(
            f"round {round_number}: bare {bare_run.requests_per_second:,.0f} req/s "
            f"(p99 {bare_run.p99_ms:.2f} ms), "
            f"/health {project_run.requests_per_second:,.0f} "
            f"req/s (p99 {project_run.p99_ms:.2f} ms), errors {project_run.errors}"
        )
    ratio = median(project) / median(bare)
    print(
        f"median: bare {median(bare):,.0f} req/s, /health {median(project):,.0f} req/s"
    )
    print(f"ratio /health / bare = {ratio:.3f} (target >= {TARGET_RATIO})")

    with hanging_port() as db_port, hanging_port() as redis_port:
        dead_env = {
            **project_env,
            "DATABASE_URL": f"postgres://x:y@127.0.0.1:{db_port}/x",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        }
        with pinned_server("fastship.asgi:application", **dead_env) as port:
            dead = run_wrk(port, "/health", seconds=options.seconds)
    print(
        "/health with database and Redis hanging: "
        f"{dead.requests_per_second:,.0f} req/s, "
        f"p50 {dead.p50_ms:.2f} ms, p99 {dead.p99_ms:.2f} ms, errors {dead.errors}"
    )
    return 0 if ratio >= TARGET_RATIO and dead.errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
