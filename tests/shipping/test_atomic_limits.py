"""Limits hold under concurrency: each attempt takes its place atomically.

The counters were read before and written after an attempt, so simultaneous
attempts all passed the check (40 parallel wrong passwords: 26 evaluated
against a limit of 10). Here 40 attempts arrive at once, through the API,
and are counted.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from django.test import Client
from rest_framework.test import APIClient

from shipping.models import Notification
from shipping.throttles import (
    AdminLoginAccountThrottle,
    AdminLoginClientThrottle,
    LoginAccountThrottle,
    LoginClientThrottle,
    PasswordResetAccountThrottle,
    PasswordResetClientThrottle,
)
from tests.factories import seller_make

# Threads write at once: PostgreSQL (SQLite locks its file for each writer).
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at_once(attempt, count: int) -> Counter:
    """Run ``attempt`` ``count`` times from as many threads, released together."""
    gate = threading.Barrier(count)

    def run(_: int) -> int:
        gate.wait()
        try:
            return attempt()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return Counter(pool.map(run, range(count)))


def test_forty_wrong_passwords_at_once_meet_the_limit_of_ten(monkeypatch):
    monkeypatch.setattr(LoginClientThrottle, "rate", "1000/min", raising=False)
    monkeypatch.setattr(LoginAccountThrottle, "rate", "10/min", raising=False)
    seller_make(email="target@example.com")

    def wrong() -> int:
        body = {"email": "target@example.com", "password": "not-the-password"}
        return APIClient().post("/api/v1/auth/token/", body, format="json").status_code

    assert at_once(wrong, 40) == Counter({401: 10, 429: 30})
    # The places of refused attempts were given back, not counted: the window
    # holds exactly the ten failures, and the next attempt is refused too.
    assert wrong() == 429


def test_admin_logins_at_once_meet_the_account_limit(monkeypatch):
    monkeypatch.setattr(AdminLoginClientThrottle, "rate", "1000/hour", raising=False)
    monkeypatch.setattr(AdminLoginAccountThrottle, "rate", "10/hour", raising=False)

    def wrong() -> int:
        return (
            Client()
            .post(
                "/admin/login/",
                {"username": "ops@example.com", "password": "guess", "next": "/admin/"},
            )
            .status_code
        )

    assert at_once(wrong, 24) == Counter({200: 10, 429: 14})


def test_resets_at_once_send_no_more_mail_than_the_limit(monkeypatch):
    monkeypatch.setattr(PasswordResetClientThrottle, "rate", "1000/hour", raising=False)
    monkeypatch.setattr(PasswordResetAccountThrottle, "rate", "3/hour", raising=False)
    seller_make(email="reset-me@example.com")
    Notification.objects.all().delete()  # the sign-up's verification mail

    def reset() -> int:
        body = {"email": "reset-me@example.com"}
        return (
            APIClient()
            .post("/api/v1/auth/password-reset/", body, format="json")
            .status_code
        )

    assert at_once(reset, 15) == Counter({202: 3, 429: 12})
    assert Notification.objects.filter(kind="password_reset").count() == 3


def test_creates_at_once_to_one_address_mail_no_more_than_its_limit(
    settings, seeded_tags
):
    """Each create records its mail; past the hourly limit they are held."""
    from tests.factories import SHIPMENT_BODY, bearer, partner_make

    settings.NOTIFICATION_RECIPIENT_HOURLY_LIMIT = 4
    partner_make(zip_codes=("20095",), capacity=50)
    seller = seller_make()
    header = bearer(seller)

    def create() -> int:
        body = {**SHIPMENT_BODY, "recipient_email": "Same.Person@example.org"}
        client = APIClient()
        client.credentials(**header)
        return client.post("/api/v1/shipments/", body, format="json").status_code

    assert at_once(create, 15) == Counter({201: 15})
    placed = Notification.objects.filter(kind="shipment_placed")
    assert placed.filter(state="held").count() == 11
    assert placed.exclude(state="held").count() == 4
