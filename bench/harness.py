"""Shared benchmark plumbing: pinned gunicorn + uvicorn servers and wrk runs.

The server is pinned to CPU 0 and wrk to CPU 1 so the two do not compete;
figures are compared as ratios within one invocation (the machine is shared).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.servers import (
    PROJECT_DIR,
    ServerProcess,
    free_port,
    gunicorn_argv,
    running_server,
    server_env,
)

PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "bench-secret-9f3c2a7e1b5d4c8a6e0f2b4d6a8c0e1f3a5b7c9d1e",
    "JWT_SECRET": "bench-jwt-secret-4b6d8f0a2c4e6a8c0e2f4a6b8d0f2a4c",
    "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
}


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def require_tools() -> None:
    missing = [tool for tool in ("wrk", "taskset") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"missing {', '.join(missing)}: apt-get install wrk util-linux")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(output: str) -> WrkResult:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    latencies = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.M))
    p50, p99 = (re.match(r"([\d.]+)(\w+)", latencies[key]) for key in ("50", "99"))
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    errors = 0
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return WrkResult(
        requests_per_second=rps,
        p50_ms=_ms(*p50.groups()),  # type: ignore[union-attr]
        p99_ms=_ms(*p99.groups()),  # type: ignore[union-attr]
        requests=requests,
        errors=errors,
    )


def run_wrk(
    port: int,
    path: str,
    *,
    seconds: int,
    connections: int = 32,
    header: str | None = None,
    script: str | None = None,
) -> WrkResult:
    argv = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    argv += ["--latency", "--timeout", "5s"]
    if header:
        argv += ["-H", header]
    if script:
        argv += ["-s", script]
    argv.append(f"http://127.0.0.1:{port}{path}")
    output = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return parse_wrk(output)


@contextmanager
def pinned_server(app: str, **env: str | None) -> Iterator[int]:
    """Serve ``app`` with one uvicorn worker under gunicorn, pinned to CPU 0."""
    with pinned_process(app, env=env) as (port, _):
        yield port


@contextmanager
def pinned_process(
    app: str,
    *,
    env: Mapping[str, str | None],
    tree: Path = PROJECT_DIR,
    asgi: bool = True,
    worker_class: str | None = None,
) -> Iterator[tuple[int, ServerProcess]]:
    """Serve ``app`` from the source ``tree`` (one worker, CPU 0); yield (port, master)."""
    port = free_port()
    argv = ["taskset", "-c", "0", *gunicorn_argv(app, port, asgi=asgi, workers=1)]
    if worker_class:
        argv += ["--worker-class", worker_class]  # the last one counts
    environ = server_env(**env, PYTHONPATH=str(tree))
    with running_server(argv, port=port, env=environ, cwd=tree) as process:
        yield port, process


def worker_pids(master_pid: int) -> list[str]:
    """The pids of gunicorn's workers under ``master_pid``."""
    return subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(master_pid)],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()


def worker_cpu_seconds(master_pid: int) -> float:
    """User + system CPU seconds of the worker processes under ``master_pid``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in worker_pids(master_pid):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def median(values: list[float]) -> float:
    return statistics.median(values)


def cpu_note() -> str:
    return f"{os.cpu_count()} CPUs; server on CPU 0, wrk on CPU 1"


def django_run(code: str, database_url: str, *args: str, **env: str | None) -> str:
    """Run ``code`` under Django against ``database_url`` (no Redis unless
    ``env`` names one), with the bench server's secrets so that tokens it
    mints verify; return its stdout."""
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code, *args],
        cwd=PROJECT_DIR,
        env=server_env(
            DJANGO_ENV="test",
            DJANGO_SECRET_KEY=PRODUCTION["DJANGO_SECRET_KEY"],
            JWT_SECRET=PRODUCTION["JWT_SECRET"],
            DJANGO_SETTINGS_MODULE="fastship.settings",
            DATABASE_URL=database_url,
            **{"REDIS_URL": None, **env},
        ),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
