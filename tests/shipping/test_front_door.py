"""The pages a person sees: front page, tracking form, codes, verification, errors."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from shipping.models import Shipment, ShipmentEvent
from shipping.services.tokens import email_verification_token
from shipping.tracking_codes import (
    ALPHABET,
    canonical_tracking_code,
    new_tracking_code,
)
from tests.factories import seller_make
from tests.servers import PROJECT_DIR

pytestmark = pytest.mark.django_db
CODE = re.compile(r"^FS-[%s]{4}-[%s]{4}-[%s]{4}-[%s]{2}$" % ((ALPHABET,) * 4))


def test_the_front_page_says_what_fastship_is_and_links_onwards(client):
    answer = client.get("/")
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "FastShip carries parcels" in html
    for link in ('href="/track/"', 'href="/docs"'):
        assert link in html
    # The tracking box itself, and nothing that sends the public to the admin.
    assert '<form class="track-box" method="get" action="/track/">' in html
    assert "/admin/" not in html
    assert "default-src" in answer["Content-Security-Policy"]
    assert "/static/shipping/pages.css" in html  # our stylesheet, no CDN
    assert "http" not in re.sub(r'href="/[^"]*"', "", html).split("<body>")[0]


def test_new_codes_are_readable_and_unguessable():
    """Letters and digits in dashed groups, no look-alikes, 14 symbols of 30."""
    codes = {new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(CODE.match(code) for code in codes)
    assert not set("01ILOU") & set(ALPHABET)
    assert len(ALPHABET) ** 14 > 2**64


def test_new_shipments_get_readable_codes(in_transit):
    assert CODE.match(in_transit.tracking_code)


@pytest.mark.parametrize(
    "typed",
    ["{code}", "{lower}", " {spaced} ", "{bare}", "{bare_lower}"],
)
def test_the_form_finds_a_code_however_it_was_typed(client, in_transit, typed):
    code = in_transit.tracking_code
    text = typed.format(
        code=code,
        lower=code.lower(),
        spaced=code.replace("-", " "),
        bare=code.removeprefix("FS-").replace("-", ""),
        bare_lower=code.replace("-", "").lower(),
    )
    answer = client.get("/track/", {"code": text})
    assert answer.status_code == 302
    assert answer["Location"] == f"/track/{code}/"


def test_an_old_style_code_still_works(client, in_transit):
    Shipment.objects.filter(pk=in_transit.pk).update(tracking_code="-WQo2d_zQfz5KfX_")
    assert client.get("/track/", {"code": "-WQo2d_zQfz5KfX_"})["Location"] == (
        "/track/-WQo2d_zQfz5KfX_/"
    )
    assert client.get("/track/-WQo2d_zQfz5KfX_/").status_code == 200
    assert canonical_tracking_code("-WQo2d_zQfz5KfX_") is None


def test_the_form_is_offered_empty(client):
    answer = client.get("/track/")
    assert answer.status_code == 200
    assert '<form method="get" action="/track/">' in answer.content.decode()


@pytest.mark.parametrize(
    "typed", ["FS-2222-2222-2222-22", "nope", "x" * 500, "<script>"]
)
def test_an_unknown_code_is_a_404_page_that_says_so_and_offers_the_form(client, typed):
    answer = client.get("/track/", {"code": typed})
    assert answer.status_code == 404
    html = answer.content.decode()
    assert "No shipment with this code" in html
    assert '<form method="get" action="/track/">' in html
    assert "<script>" not in html


def test_a_nul_in_the_typed_code_is_a_400_not_a_500(client):
    assert client.get("/track/", {"code": "a\x00b"}).status_code == 400


def test_an_unknown_code_in_the_path_is_the_same_page(client):
    answer = client.get("/track/FS-2222-2222-2222-22/")
    assert answer.status_code == 404
    assert "We know no shipment with the tracking code" in answer.content.decode()


def test_the_tracking_page_shows_newest_first_and_only_what_is_known(
    client, in_transit
):
    ShipmentEvent.objects.filter(shipment=in_transit, status="placed").update(
        created_at=timezone.now() - timedelta(hours=2), location_zip_code=""
    )
    html = client.get(f"/track/{in_transit.tracking_code}/").content.decode()
    timeline = html.split('<ol class="timeline">')[1].split("</ol>")[0]
    assert timeline.index("In transit") < timeline.index("Placed")
    # The placed event has no location; 10115 is named as people name it.
    assert timeline.count("in Berlin (10115)") == 1
    assert "Estimated delivery" not in html  # not set yet
    Shipment.objects.filter(pk=in_transit.pk).update(
        estimated_delivery=timezone.now() + timedelta(days=1)
    )
    html = client.get(f"/track/{in_transit.tracking_code}/").content.decode()
    assert "Estimated delivery" in html
    assert "recipient@example.org" not in html


def journey(html: str) -> list[tuple[str, str]]:
    """(state, step) of each milestone on the page."""
    steps = html.split('<ol class="journey"')[1].split("</ol>")[0]
    return re.findall(r'<li class="(\w+)".*?<span class="step">([^<]+)</span>', steps)


def test_the_journey_marks_where_the_parcel_is_and_how_it_ended(client, in_transit):
    answer = client.get(f"/track/{in_transit.tracking_code}/")
    html = answer.content.decode()
    assert journey(html) == [
        ("done", "Placed"),
        ("current", "In transit"),
        ("todo", "Out for delivery"),
        ("todo", "Delivered"),
    ]
    assert 'class="banner status-in_transit"' in html
    # Its one script is a file of ours (local times, the copy button).
    assert "script-src 'self'" in answer["Content-Security-Policy"]
    assert "<script>" not in html
    Shipment.objects.filter(pk=in_transit.pk).update(status="cancelled")
    html = client.get(f"/track/{in_transit.tracking_code}/").content.decode()
    assert "cancelled and will not be delivered" in html
    assert 'class="banner status-cancelled"' in html
    assert journey(html) == [
        ("done", "Placed"),
        ("done", "In transit"),
        ("skipped", "Out for delivery"),
        ("skipped", "Delivered"),
    ]


def test_the_verification_link_opened_in_a_browser_is_a_page(client):
    seller = seller_make(verified=False)
    token = email_verification_token(user=seller.user)
    url = "/api/v1/auth/verify-email/"
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    answer = client.get(url, {"token": token}, HTTP_ACCEPT=browser)
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/html")
    assert "Email address confirmed" in answer.content.decode()
    seller.user.refresh_from_db()
    assert seller.user.email_verified_at is not None
    only_html = client.get(url, {"token": token}, HTTP_ACCEPT="text/html")
    assert only_html.status_code == 200
    assert "Email address confirmed" in only_html.content.decode()
    bad = client.get(url, {"token": "forged"}, HTTP_ACCEPT=browser)
    assert bad.status_code == 400
    assert "Link not valid" in bad.content.decode()
    # It offers a new link by form, and links the operation in the API docs.
    assert 'action="/verify-email/resend/"' in bad.content.decode()
    assert "/docs#/auth/api_v1_auth_verify_email_resend_create" in bad.content.decode()
    # API clients keep their JSON.
    answer = client.get(url, {"token": token}, HTTP_ACCEPT="application/json")
    assert answer.json() == {"email": seller.user.email}
    assert client.get(url, {"token": "forged"}).json()["type"] == "validation_error"


def test_the_resend_form_mails_a_new_link_within_the_apis_limits(client, monkeypatch):
    from shipping.models import Notification
    from shipping.throttles import VerificationResendAccountThrottle

    waiting = seller_make(email="waiting@example.com", verified=False)
    seller_make(email="confirmed@example.com")
    queued = Notification.objects.filter
    before = queued(recipient=waiting.user.email).count()
    confirmed = queued(recipient="confirmed@example.com").count()
    form = client.get("/verify-email/resend/")
    assert form.status_code == 200
    assert 'name="email"' in form.content.decode()
    for email in ("Waiting@Example.com", "confirmed@example.com", "no@example.com"):
        sent = client.post("/verify-email/resend/", {"email": email})
        assert sent.status_code == 200  # the same answer for every address
        assert "Check your inbox" in sent.content.decode()
    # Only the account still waiting for confirmation is mailed.
    assert queued(recipient=waiting.user.email).count() == before + 1
    assert queued(recipient="confirmed@example.com").count() == confirmed
    assert not queued(recipient="no@example.com").exists()
    # A bad address: the error is tied to the field, nothing is queued.
    total = Notification.objects.count()
    nul = client.post("/verify-email/resend/", {"email": "a\x00@example.com"})
    assert nul.status_code == 400  # refused before any view, as everywhere
    for bad in ("x", "a" * 250 + "@example.com", "", "a@example.com\nBcc: b@c.d"):
        refused = client.post("/verify-email/resend/", {"email": bad})
        assert refused.status_code == 400, bad
        html = refused.content.decode()
        assert 'aria-describedby="email-error"' in html
        assert 'id="email-error"' in html
    assert Notification.objects.count() == total
    # One limit per account for the API and the form together.
    monkeypatch.setattr(
        VerificationResendAccountThrottle, "rate", "2/hour", raising=False
    )
    api = client.post(
        "/api/v1/auth/verify-email/resend/",
        {"email": "limit@example.com"},
        content_type="application/json",
    )
    assert api.status_code == 202
    assert (
        client.post("/verify-email/resend/", {"email": "limit@example.com"}).status_code
        == 200
    )
    third = client.post("/verify-email/resend/", {"email": "LIMIT@example.com"})
    assert third.status_code == 429
    assert int(third["Retry-After"]) > 0
    assert "Too many requests" in third.content.decode()


def test_error_pages_are_branded_and_the_api_keeps_its_format(client):
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert "Page not found" in page.content.decode()
    assert "/static/shipping/pages.css" in page.content.decode()
    api = client.get("/api/v1/no-such-route/")
    assert api.status_code == 404
    assert api.json()["errors"][0]["code"] == "not_found"

    from fastship.api.exceptions import server_error

    factory = RequestFactory()
    failed = server_error(factory.get("/track/"))
    assert failed.status_code == 500
    assert "Something went wrong" in failed.content.decode()
    failed = server_error(factory.get("/api/v1/shipments/"))
    assert failed["Content-Type"] == "application/json"


def test_the_admin_is_branded(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "FastShip operations" in html
    assert "Django administration" not in html


def test_the_rq_dashboard_exists_only_with_redis():
    """Embedded (no Redis): no /django-rq/ and no admin link to it."""
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.urls import Resolver404, resolve\n"
        "try:\n    resolve('/django-rq/')\nexcept Resolver404:\n    print('absent')\n"
        "print(settings.RQ_SHOW_ADMIN_LINK)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_DIR,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "fastship.settings",
            "DJANGO_ENV": "development",
            "DATABASE_URL": "",
            "REDIS_URL": "",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.split() == ["absent", "False"], result.stderr
