"""Request-log records: masking, request ids, client address, no I/O for the user."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject

from fastship.requestlog.records import (
    build_record,
    client_ip,
    mask_path,
    mask_query_string,
    request_id_from,
    user_of,
)


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "token",
        "refresh",
        "access",
        "code",
        "verification_code",
        "key",
        "Authorization",
        "cookie",
        "TOKEN",
    ],
)
def test_secret_query_values_are_masked(key):
    """The value of every secret query key is replaced; others are kept."""
    masked = mask_query_string(f"page=2&{key}=s3cr3t-value&q=boots")
    assert "s3cr3t-value" not in masked
    assert f"{key}=***" in masked
    assert "page=2" in masked
    assert "q=boots" in masked


def test_repeated_and_blank_secret_keys_are_masked():
    """Every occurrence is masked, blank values too."""
    masked = mask_query_string("token=a1&token=b2&code=")
    assert "a1" not in masked
    assert "b2" not in masked
    assert masked == "token=***&token=***&code=***"


@pytest.mark.parametrize(
    ("incoming", "kept"),
    [
        ("abc-123_XYZ", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("has space", False),
        ("semi;colon", False),
        ("", False),
        (None, False),
        ("ünïcode", False),
    ],
)
def test_request_id_kept_only_when_short_and_safe(incoming, kept):
    """An incoming id is kept if safe (letters, digits, - and _, at most 64)."""
    result = request_id_from(incoming)
    assert (result == incoming) is kept
    assert 1 <= len(result) <= 64


def test_client_ip_trusts_only_configured_proxies():
    """Only as many X-Forwarded-For hops as there are trusted proxies count."""
    meta = {"REMOTE_ADDR": "10.0.1.5", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9"}
    assert client_ip(meta, trusted_proxies=0) == "10.0.1.5"
    assert client_ip(meta, trusted_proxies=1) == "203.0.113.9"
    assert client_ip(meta, trusted_proxies=2) == "6.6.6.6"
    assert client_ip(meta, trusted_proxies=5) == "6.6.6.6"
    garbage = {"REMOTE_ADDR": "10.0.1.5", "HTTP_X_FORWARDED_FOR": "not-an-ip"}
    assert client_ip(garbage, trusted_proxies=1) is None


def test_lazy_user_is_not_loaded():
    """An unevaluated lazy user is not loaded just to log (no session query)."""
    request = RequestFactory().get("/")

    def load_user():
        raise AssertionError("the user was loaded")

    request.user = SimpleLazyObject(load_user)  # type: ignore[assignment]
    assert user_of(request) == (None, "")
    request.user = AnonymousUser()
    assert user_of(request) == (None, "")


def test_record_has_no_headers_or_body():
    """A record holds the listed fields only: no Authorization, cookie or body."""
    request = RequestFactory().post(
        "/api/v1/x?password=hunter2",
        data={"password": "hunter2"},
        HTTP_AUTHORIZATION="Bearer tok-secret",
        HTTP_COOKIE="sessionid=cookie-secret",
        HTTP_USER_AGENT="x" * 1000,
    )
    record = build_record(
        request,
        HttpResponse(b"ok"),
        request_id="rid",
        started_at=0.0,
        duration_ms=1.5,
        trusted_proxies=0,
    )
    text = repr(record)
    for secret in ("hunter2", "tok-secret", "cookie-secret"):
        assert secret not in text
    assert len(record["user_agent"]) == 256
    assert record["response_size"] == 2
    assert record["query_string"] == "password=***"


@pytest.mark.parametrize(
    ("path", "masked"),
    [
        ("/reset-password/MQ.cz9x-abc/", "/reset-password/***/"),
        ("/review/eyJzIjoiMSJ9:1w:sig/", "/review/***/"),
        ("/review/tok", "/review/***"),
        ("/api/v1/reviews/", "/api/v1/reviews/"),
        ("/track/ABCD2345EFGH/", "/track/ABCD2345EFGH/"),
        ("/x/review/tok/", "/x/review/tok/"),
    ],
)
def test_token_segment_of_mailed_links_is_masked(path, masked):
    """Only the token segment of the reset and review pages is replaced."""
    assert mask_path(path) == masked
