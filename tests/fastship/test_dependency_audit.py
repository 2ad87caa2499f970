"""The dependency audit fails on a vulnerable pin and says when it cannot look."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.servers import PROJECT_DIR, closed_port

SCRIPT = PROJECT_DIR / "scripts" / "audit_dependencies.py"


class FakePyPI(BaseHTTPRequestHandler):
    """PyPI's JSON API: one advisory, for django 5.2.19."""

    def do_GET(self) -> None:
        vulnerable = self.path == "/pypi/django/5.2.19/json"
        body = {
            "vulnerabilities": (
                [{"id": "PYSEC-2026-1", "fixed_in": ["5.2.20"]}] if vulnerable else []
            )
        }
        payload = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


def audit(constraints: str, api: str, tmp_path) -> subprocess.CompletedProcess:
    pins = tmp_path / "constraints.txt"
    pins.write_text(constraints)
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(pins)],
        env={"PYPI_JSON_API": api, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_vulnerable_pin_fails_the_audit_and_a_fixed_one_passes(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePyPI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    api = f"http://127.0.0.1:{server.server_address[1]}/pypi"
    try:
        bad = audit("Django==5.2.19\nrq==2.6.1\n", api, tmp_path)
        good = audit("Django==5.2.20\nrq==2.6.1\n", api, tmp_path)
    finally:
        server.shutdown()
    assert bad.returncode == 1, bad.stdout
    assert "django==5.2.19: PYSEC-2026-1 (fixed in 5.2.20)" in bad.stdout
    assert good.returncode == 0, good.stdout
    assert "no known vulnerability" in good.stdout


def test_without_the_advisory_data_it_says_it_did_not_check(tmp_path):
    with closed_port() as port:
        result = audit("Django==5.2.19\n", f"http://127.0.0.1:{port}/pypi", tmp_path)
    assert result.returncode == 0
    assert "NOT CHECKED" in result.stdout


def test_the_pins_carry_no_known_vulnerable_django():
    """Django 5.2.20 carries security fixes over 5.2.19 (the audit's finding)."""
    pins = (PROJECT_DIR / "constraints.txt").read_text().lower()
    version = pins.split("django==", 1)[1].split()[0]
    assert tuple(map(int, version.split("."))) >= (5, 2, 20)
