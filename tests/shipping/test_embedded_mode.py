"""`make run`'s embedded mode: SQLite takes turns under a burst, never refuses;
errors are branded pages (JSON under /api/), not debug pages.

Sign-ups and creates used to answer 503 three times in four back-to-back:
requests, inline jobs and the request-log thread wrote one SQLite file, and a
transaction that read before it wrote got "database is locked" at once.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections import Counter
from collections.abc import Callable, Iterator

import pytest

from tests.servers import PROJECT_DIR, Response, embedded_server, http_request

JSON = {"Host": "localhost", "Content-Type": "application/json"}


def post(port: int, path: str, body: dict, **headers: str) -> Response:
    return http_request(
        port,
        path,
        method="POST",
        headers={**JSON, **headers},
        body=json.dumps(body).encode(),
        timeout=60,
    )


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    # The sign-up limit (10/hour per address) raised: the burst counts the
    # database's answers, not the limit's.
    workdir = tmp_path_factory.mktemp("embedded")
    with embedded_server(workdir, env={"THROTTLE_SIGNUP": "1000/hour"}) as served:
        yield served[0]


def test_unknown_paths_are_branded_pages_and_api_errors_not_debug_pages(port):
    page = http_request(port, "/nope", headers={"Host": "localhost"})
    assert page.status == 404
    assert b"Page not found" in page.body
    assert b"URLconf" not in page.body  # Django's debug page lists the patterns
    api = http_request(port, "/api/v1/nope", headers={"Host": "localhost"})
    assert api.status == 404
    assert json.loads(api.body)["errors"][0]["code"] == "not_found"
    # Static files are still served (runserver --insecure).
    css = http_request(
        port, "/static/shipping/pages.css", headers={"Host": "localhost"}
    )
    assert css.status == 200


def test_sign_ups_and_creates_back_to_back_and_at_once_all_succeed(port):
    login = post(
        port,
        "/api/v1/auth/token/",
        {"email": "seller@fastship.local", "password": "fastship-demo-2026"},
    )
    assert login.status == 200, login.body
    bearer = "Bearer " + json.loads(login.body)["access"]
    statuses: dict[str, list[int]] = {"sign-up": [], "create": []}
    bodies: list[bytes] = []

    def sign_up(n: int) -> dict:
        return {
            "name": f"Shop {n}",
            "email": f"shop{n}@example.org",
            "password": "a-long-shop-password-2026",
            "address": "1 Main Street",
            "zip_code": "10115",
        }

    def order(n: int) -> dict:
        return {
            "content": f"Order {n}",
            "weight_kg": "0.8",
            "destination_zip_code": "20095",
            "recipient_email": f"buyer{n}@example.org",
        }

    def back_to_back(
        kind: str, path: str, body: Callable[[int], dict], **headers: str
    ) -> None:
        for n in range(20):
            answer = post(port, path, body(n), **headers)
            statuses[kind].append(answer.status)
            bodies.append(answer.body)

    threads = [
        threading.Thread(
            target=back_to_back, args=("sign-up", "/api/v1/sellers/", sign_up)
        ),
        threading.Thread(
            target=back_to_back,
            args=("create", "/api/v1/shipments/", order),
            kwargs={"Authorization": bearer},
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    seen = {kind: Counter(codes) for kind, codes in statuses.items()}
    assert seen == {"sign-up": {201: 20}, "create": {201: 20}}, (seen, bodies)


def test_the_integrations_example_runs_verbatim(port, tmp_path):
    """docs/integrations.md's block, as pasted into a shell against `make
    run`: a test key, a webhook and its ping, a test shipment by reference, its
    label, its simulated moves, then a live key that sees none of it."""
    doc = (PROJECT_DIR / "docs" / "integrations.md").read_text()
    script = doc.split("```sh\n", 1)[1].split("```", 1)[0]
    script = script.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    key, ping, made, repeated, *moves, unseen, unscoped = (
        result.stdout.strip().splitlines()
    )
    assert re.match(r"^fsk_test_[A-Za-z0-9]{8}\.[A-Za-z0-9]{32}$", key), key
    assert ping == "webhook.ping"
    assert made == repeated
    assert re.match(r"^[0-9a-f-]{36}$", made)
    assert moves == ["in_transit", "out_for_delivery", "delivered"]
    assert (unseen, unscoped) == ("404", "403")
    assert (tmp_path / "label.pdf").read_bytes().startswith(b"%PDF-")
