"""The operators' pages: a lockout after failed logins, and a network allow-list."""

from __future__ import annotations

import ipaddress

import pytest
from django.test import Client

from shipping.models import User
from shipping.throttles import AdminLoginAccountThrottle, AdminLoginClientThrottle

pytestmark = pytest.mark.django_db

PASSWORD = "operator-password-2026"


@pytest.fixture
def operator() -> User:
    return User.objects.create_superuser("ops@example.com", PASSWORD)


def admin_login(client: Client, email: str, password: str, **extra):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": email, "password": password, "next": "/admin/"},
        **extra,
    )


def test_failed_admin_logins_lock_the_account(operator, monkeypatch):
    """Failures per account reach the limit: the right password is refused too."""
    monkeypatch.setattr(AdminLoginAccountThrottle, "rate", "3/hour", raising=False)
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    codes = [
        admin_login(attacker, "OPS@example.com", f"guess-{n}").status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 200]  # the form again, with its error
    locked = admin_login(attacker, "ops@example.com", PASSWORD)
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    assert "_auth_user_id" not in attacker.session
    # The account, not only the address, is locked: the owner elsewhere too.
    owner = Client(REMOTE_ADDR="198.51.100.4")
    assert admin_login(owner, "ops@example.com", PASSWORD).status_code == 429
    assert owner.get("/admin/").status_code == 302  # still to the login page


def test_failed_admin_logins_lock_the_client(operator, monkeypatch):
    """Failures from one address, spread over accounts, lock that address."""
    monkeypatch.setattr(AdminLoginClientThrottle, "rate", "4/hour", raising=False)
    attacker = Client(REMOTE_ADDR="203.0.113.8")
    for number in range(4):
        response = admin_login(attacker, f"user{number}@example.com", "guess")
        assert response.status_code == 200
    assert admin_login(attacker, "ops@example.com", PASSWORD).status_code == 429
    elsewhere = Client(REMOTE_ADDR="198.51.100.5")
    assert admin_login(elsewhere, "ops@example.com", PASSWORD).status_code == 302


def test_successful_admin_logins_are_not_counted(operator, monkeypatch):
    """An operator who logs in often never locks themselves out."""
    monkeypatch.setattr(AdminLoginAccountThrottle, "rate", "2/hour", raising=False)
    monkeypatch.setattr(AdminLoginClientThrottle, "rate", "2/hour", raising=False)
    for _ in range(5):
        client = Client(REMOTE_ADDR="198.51.100.6")
        response = admin_login(client, "ops@example.com", PASSWORD)
        assert response.status_code == 302
        assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize(
    ("remote", "forwarded", "allowed"),
    [
        ("10.0.3.9", "", True),
        ("192.0.2.1", "", False),
        # Behind one trusted proxy the client is the last X-Forwarded-For entry;
        # what a client writes further left is not believed.
        ("10.0.0.2", "192.0.2.1, 10.0.7.7", True),
        ("10.0.0.2", "10.0.7.7, 192.0.2.1", False),
    ],
)
@pytest.mark.parametrize("path", ["/admin/login/", "/django-rq/"])
def test_operator_pages_only_from_allowed_networks(
    settings, remote, forwarded, allowed, path
):
    """ADMIN_ALLOWED_NETWORKS closes /admin/ and /django-rq/ to other addresses."""
    settings.ADMIN_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/16")]
    settings.TRUSTED_PROXIES = 1 if forwarded else 0
    client = Client(REMOTE_ADDR=remote)
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    response = client.get(path, **headers)
    if allowed:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "permission_denied"
    # The API and the pages stay open to everyone.
    assert client.get("/api/v1/tags/", **headers).status_code == 200


def test_no_allowed_networks_means_open(settings):
    settings.ADMIN_ALLOWED_NETWORKS = []
    assert Client(REMOTE_ADDR="192.0.2.1").get("/admin/login/").status_code == 200
