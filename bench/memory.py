"""Memory and start-up of the API task: does it fit 512 MiB with 30 % headroom?

Run: make bench-memory   (PostgreSQL and Redis on their local ports)
Starts gunicorn as docker/entrypoint.sh does (master + WEB_CONCURRENCY=2 uvicorn
workers, production settings), times process start to the first 200 on
/health, sends 1,000 mixed requests, then sums the resident memory (VmRSS) of
the master and its workers. docker/ecs/taskdef-api.json cites these figures.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench.harness import PRODUCTION
from bench.request_log import REDIS_URL, prepare_database
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
    database_url = prepare_database()
    port = free_port()
    env = server_env(
        **PRODUCTION,
        DATABASE_URL=database_url,
        REDIS_URL=REDIS_URL,
        PORT=str(port),
        WEB_CONCURRENCY="2",
        HEALTH_TOKEN="bench-token",
    )
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
        paths = [
            "/health",
            "/api/v1/",
            "/api/v1/tags/",
            "/api/v1/track/none/",
            "/api/v1/health",
        ]
        for number in range(1000):
            http_request(
                port, paths[number % len(paths)], headers={"Host": "localhost"}
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
    total = sum(per_process.values())
    budget = TASK_MIB * (1 - HEADROOM)
    print(f"first 200 on /health after {first_200:.2f} s (target <= 3 s)")
    for pid, mib in per_process.items():
        role = "master" if pid == server.pid else "worker"
        print(f"  {role:<6} pid {pid}: {mib:6.1f} MiB")
    print(
        f"total RSS after 1,000 requests: {total:.1f} MiB of a {TASK_MIB} MiB task "
        f"({total / TASK_MIB:.0%}; budget with {HEADROOM:.0%} headroom: {budget:.0f} MiB)"
    )
    return 0 if total <= budget and first_200 <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
