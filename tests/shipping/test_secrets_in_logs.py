"""No live token reaches the logs: not on a 400, a CSRF 403 or a 404, and not
from the development server's request lines."""

from __future__ import annotations

import re
import sys
import time
from urllib.parse import urlencode

import pytest

from fastship.logs import mask_secrets
from shipping.services.tokens import email_verification_token, password_reset_token
from tests.factories import seller_make
from tests.servers import (
    free_port,
    gunicorn_argv,
    http_request,
    running_server,
    server_env,
)

# The server reads the test database the test writes (committed).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def served_env(settings) -> dict[str, str]:
    database = settings.DATABASES["default"]
    url = (
        f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
        f"/{database['NAME']}"
    )
    return server_env(DJANGO_ENV="test", DATABASE_URL=url, REDIS_URL=None)


def tokens_for(email: str) -> dict[str, str]:
    user = seller_make(email=email).user
    return {
        "reset": password_reset_token(user=user),
        "verify": email_verification_token(user=user),
        "review": "Rv7-" + "x" * 40,  # a review link's form: the path carries it
    }


def form_post(port: int, path: str, fields: dict[str, str]) -> int:
    """GET the page (its CSRF cookie and field), then POST the form."""
    page = http_request(port, path, headers={"Host": "localhost"})
    cookie = page.headers.get("set-cookie", "").split(";")[0]
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    body = urlencode(
        {**fields, "csrfmiddlewaretoken": token[1].decode() if token else ""}
    ).encode()
    answer = http_request(
        port,
        path,
        method="POST",
        headers={
            "Host": "localhost",
            "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body=body,
    )
    return answer.status


def test_a_real_server_logs_no_token_on_400_403_and_404(settings):
    tokens = tokens_for("logs@example.com")
    port = free_port()
    argv = gunicorn_argv("fastship.asgi:application", port)
    with running_server(argv, port=port, env=served_env(settings)) as server:
        reset = f"/reset-password/{tokens['reset']}/"
        mismatch = {"password": "New-password-123", "password_again": "Other-456"}
        assert form_post(port, reset, mismatch) == 400
        csrf = http_request(
            port,
            reset,
            method="POST",
            headers={
                "Host": "localhost",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            body=b"password=a&password_again=a",
        )
        assert csrf.status == 403
        review = f"/review/{tokens['review']}/"
        assert http_request(port, review, headers={"Host": "localhost"}).status == 400
        missing = f"/review/{tokens['review']}/nope"
        assert http_request(port, missing, headers={"Host": "localhost"}).status == 404
        verify = f"/api/v1/auth/verify-email/?{urlencode({'token': tokens['verify']})}"
        http_request(port, verify, headers={"Host": "localhost"})
        time.sleep(1)  # the request-log fallback lines (no Redis) are written
    output = server.output
    assert "Bad Request" in output, output[-2000:]
    assert "Forbidden" in output, output[-2000:]
    for name, token in tokens.items():
        assert token not in output, (name, output[-3000:])
    assert "/reset-password/***/" in output


def test_the_development_server_prints_no_token(settings):
    tokens = tokens_for("devlogs@example.com")
    port = free_port()
    argv = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    env = {**served_env(settings), "DJANGO_ENV": "development"}
    with running_server(argv, port=port, env=env) as server:
        for path in (
            f"/reset-password/{tokens['reset']}/",
            f"/api/v1/auth/verify-email/?token={tokens['verify']}",
            f"/review/{tokens['review']}/",
        ):
            http_request(port, path, headers={"Host": "localhost"})
        time.sleep(1)
    output = server.output
    assert "GET /reset-password/***/" in output, output[-2000:]
    for token in tokens.values():
        assert token not in output


@pytest.mark.parametrize(
    "line",
    [
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiMSJ9.c2ln-_x",
        "key fsk_abcdefgh.0123456789abcdef0123456789abcdef in a message",
        "GET /api/v1/auth/verify-email/?x=1&token=abc.def:ghi",
        "secret whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=",
    ],
)
def test_every_kind_of_secret_is_masked(line):
    masked = mask_secrets(line)
    assert masked != line
    assert "***" in masked
    for secret in ("eyJ1c2Vy", "0123456789abcdef", "abc.def", "c2VjcmV0LX"):
        assert secret not in masked
