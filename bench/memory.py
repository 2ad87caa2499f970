"""Memory, start-up and socket errors of the API task as production runs it.

Run: make bench-memory   (wrk, PostgreSQL and Redis on their local ports)
Starts the API as the image does (docker/entrypoint.sh api: gunicorn with
docker/gunicorn.conf.py, master + WEB_CONCURRENCY=2 uvicorn workers, worker
recycling as configured, production settings), times process start to the
first 200 on /health, loads each hot path with wrk (32 connections,
--seconds each), then sums the resident memory (VmRSS) of the master and its
workers. It fails on any socket error or non-2xx answer, or when the task
does not fit 512 MiB with 30 % headroom. docker/cloudformation/README.md cites these
figures.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import require_tools, run_wrk
from bench.request_log import prepare_database
from bench.shipping_api import api_server_env, endpoint_cases, seed
from tests.servers import (
    PROJECT_DIR,
    ServerProcess,
    free_port,
    http_request,
    server_env,
)

TASK_MIB = 512
HEADROOM = 0.30


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30, help="wrk per endpoint")
    parser.add_argument("--shipments", type=int, default=3000)
    options = parser.parse_args()
    require_tools()
    database_url = prepare_database()
    token, shipment_id, tracking_code = seed(database_url, options.shipments)
    port = free_port()
    env = server_env(
        **api_server_env(database_url),
        PORT=str(port),
        WEB_CONCURRENCY="2",
        HEALTH_TOKEN="bench-token",
    )
    folder = tempfile.TemporaryDirectory()
    cases = [
        *endpoint_cases(
            token, shipment_id, tracking_code, Path(folder.name) / "create.lua"
        ),
        ("/health", "/health", None, None),
    ]
    failed = 0
    started = time.monotonic()
    server = ServerProcess([str(PROJECT_DIR / "docker/entrypoint.sh"), "api"], env)
    try:
        while True:
            try:
                if http_request(port, "/health", timeout=1).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() - started > 30:
                print(server.output)
                return 1
            time.sleep(0.02)
        first_200 = time.monotonic() - started
        print(f"first 200 on /health after {first_200:.2f} s (target <= 3 s)")
        for name, path, header, lua in cases:
            result = run_wrk(
                port, path, seconds=options.seconds, header=header, script=lua
            )
            failed += result.errors
            print(
                f"  {name:<24} {result.requests_per_second:8,.0f} req/s   "
                f"p50 {result.p50_ms:7.1f} ms   p99 {result.p99_ms:7.1f} ms   "
                f"socket errors and non-2xx {result.errors}"
            )
        children = subprocess.run(
            ["pgrep", "-P", str(server.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        pids = [server.pid, *map(int, children)]
        per_process = {pid: rss_kib(pid) / 1024 for pid in pids}
    finally:
        server.stop()
        folder.cleanup()
    total = sum(per_process.values())
    budget = TASK_MIB * (1 - HEADROOM)
    for pid, mib in per_process.items():
        role = "master" if pid == server.pid else "worker"
        print(f"  {role:<6} pid {pid}: {mib:6.1f} MiB")
    print(
        f"total RSS after the load: {total:.1f} MiB of a {TASK_MIB} MiB task "
        f"({total / TASK_MIB:.0%}; budget with {HEADROOM:.0%} headroom: {budget:.0f} MiB)"
    )
    return 0 if total <= budget and first_200 <= 3 and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
