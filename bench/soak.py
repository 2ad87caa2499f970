"""Memory soak of one API worker: does its resident memory keep growing?

Run: make bench-soak   (wrk, PostgreSQL, Redis; about --minutes minutes)

Serves this tree as production does but with worker recycling off (one
uvicorn worker pinned to CPU 0), loads it with the hot paths in turn (list,
detail, tracking, create, /health) by wrk from CPU 1, and prints the worker's
resident memory (VmRSS) after each load step. A worker that leaks grows step
after step; one that does not levels off after its first minute. The figure
decides whether gunicorn's ``max_requests`` recycling is needed at all.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import (
    pinned_process,
    require_tools,
    run_wrk,
    worker_pids,
)
from bench.request_log import prepare_database
from bench.shipping_api import api_server_env, endpoint_cases, seed


def worker_rss_mib(master_pid: int) -> float:
    """Resident memory of the workers under ``master_pid`` (VmRSS), in MiB."""
    total_kib = 0
    for pid in worker_pids(master_pid):
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total_kib += int(line.split()[1])
        except OSError:
            continue
    return total_kib / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--step-seconds", type=int, default=15)
    options = parser.parse_args()
    require_tools()
    database_url = prepare_database()
    token, shipment_id, tracking_code = seed(database_url, 3000)
    env = api_server_env(database_url)
    with tempfile.TemporaryDirectory() as folder:
        cases = [
            *endpoint_cases(
                token, shipment_id, tracking_code, Path(folder) / "create.lua"
            ),
            ("/health", "/health", None, None),
        ]
        # The bench's gunicorn runs without docker/gunicorn.conf.py: no recycling.
        with pinned_process("fastship.asgi:application", env=env) as (port, master):
            started = time.monotonic()
            print(f"worker RSS at start: {worker_rss_mib(master.pid):.1f} MiB")
            step = 0
            requests = 0
            while time.monotonic() - started < options.minutes * 60:
                name, path, header, lua = cases[step % len(cases)]
                result = run_wrk(
                    port, path, seconds=options.step_seconds, header=header, script=lua
                )
                requests += result.requests
                step += 1
                print(
                    f"{time.monotonic() - started:6.0f} s  {requests:>9,} requests  "
                    f"RSS {worker_rss_mib(master.pid):6.1f} MiB  ({name}, "
                    f"errors {result.errors})",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
