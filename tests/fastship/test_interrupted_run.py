"""A test run stopped by SIGTERM (a CI timeout) leaves no server running."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.servers import PROJECT_DIR

INNER = """
import os, time
from tests.servers import free_port, gunicorn_argv, running_server

def test_holds_a_server(tmp_path):
    port = free_port()
    argv = gunicorn_argv("fastship.asgi:application", port)
    with running_server(argv, port=port, env=os.environ) as server:
        with open(os.environ["PID_FILE"], "w") as pids:
            pids.write(str(server.pid))
        time.sleep(120)
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "two-workers"])
def test_sigterm_to_pytest_stops_the_servers_its_tests_started(tmp_path, workers):
    # Named for this run: two runs on one machine write two files.
    inner = PROJECT_DIR / "tests" / "fastship" / f"_inner_interrupted_{os.getpid()}.py"
    pid_file = tmp_path / "server.pid"
    inner.write_text(INNER)
    try:
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                *workers,
                str(inner),
            ],
            cwd=PROJECT_DIR,
            env={**os.environ, "PID_FILE": str(pid_file)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not pid_file.exists() or not pid_file.read_text():
            assert time.monotonic() < deadline, "the inner test never started"
            assert run.poll() is None, run.stdout.read() if run.stdout else ""
            time.sleep(0.2)
        server = int(pid_file.read_text())
        assert alive(server)
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=60)
        deadline = time.monotonic() + 30
        while alive(server) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not alive(server), "the server outlived the run"
    finally:
        inner.unlink()
        if pid_file.exists() and pid_file.read_text():
            server = int(pid_file.read_text())
            if alive(server):  # this test failed: leave nothing behind either
                os.killpg(server, signal.SIGKILL)
