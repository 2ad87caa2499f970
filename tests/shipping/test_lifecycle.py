"""The lifecycle over HTTP with real PostgreSQL, Redis, RQ worker and SMTP server."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.shipping.conftest import links_in, text_of

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "correct-horse-battery-42"


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sign_up_and_verify(api, smtp, run_jobs, kind: str, body: dict) -> None:
    response = api.post(f"/api/v1/{kind}/", body, format="json")
    assert response.status_code == 201, response.content
    assert "password" not in response.json()
    run_jobs()
    (link,) = links_in(smtp.last_to(body["email"]))
    assert link.startswith("http://testserver/api/v1/auth/verify-email/?token=")
    assert (
        api.post(
            "/api/v1/auth/token/",
            {"email": body["email"], "password": PASSWORD},
            format="json",
        ).status_code
        == 403
    )
    assert api.get(path_of(link)).status_code == 200


def login(api, email: str) -> dict:
    response = api.post(
        "/api/v1/auth/token/", {"email": email, "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def partner_approve_in_admin(admin_client, email: str) -> None:
    from shipping.models import DeliveryPartner

    partner = DeliveryPartner.objects.get(user__email=email)
    response = admin_client.post(
        "/admin/shipping/deliverypartner/",
        {"action": "approve", "_selected_action": [partner.pk]},
    )
    assert response.status_code == 302, response.content
    partner.refresh_from_db()
    assert partner.approved_at is not None


def test_full_delivery_lifecycle(
    api, smtp, run_jobs, settings, seeded_tags, admin_client
):
    """Signup → verify → approve → login → create → every status → delivered → review.

    A partner that signed up itself is assigned nothing (and so sees no
    recipient's data) until staff approve it in the admin.
    """
    settings.PUBLIC_BASE_URL = "http://testserver"
    sign_up_and_verify(
        api,
        smtp,
        run_jobs,
        "sellers",
        {
            "name": "Ada's Books",
            "email": "ada@example.com",
            "password": PASSWORD,
            "address": "1 Market Street",
            "zip_code": "10115",
        },
    )
    sign_up_and_verify(
        api,
        smtp,
        run_jobs,
        "partners",
        {
            "name": "Swift Couriers",
            "email": "swift@example.com",
            "password": PASSWORD,
            "serviceable_zip_codes": ["20095", "20097"],
            "max_handling_capacity": 5,
        },
    )
    seller = {"HTTP_AUTHORIZATION": f"Bearer {login(api, 'ADA@example.com')['access']}"}
    partner = {
        "HTTP_AUTHORIZATION": f"Bearer {login(api, 'swift@example.com')['access']}"
    }
    me = api.get("/api/v1/me/", **partner).json()
    assert me["approved"] is False
    body = {
        "content": "Two books",
        "weight_kg": "1.5",
        "destination_zip_code": "20095",
        "recipient_email": "reader@example.org",
        "recipient_phone": "+4915112345678",
        "tags": ["fragile"],
    }
    pending = api.post("/api/v1/shipments/", body, format="json", **seller)
    assert pending.status_code == 409, pending.content
    assert pending.json()["errors"][0]["code"] == "no_partner_available"
    assert api.get("/api/v1/shipments/", **partner).json()["results"] == []

    partner_approve_in_admin(admin_client, "swift@example.com")
    assert api.get("/api/v1/me/", **partner).json()["approved"] is True
    created = api.post("/api/v1/shipments/", body, format="json", **seller)
    assert created.status_code == 201, created.content
    shipment = created.json()
    assert shipment["status"] == "placed"
    assert shipment["delivery_partner"]["name"] == "Swift Couriers"
    run_jobs()
    (tracking_link,) = links_in(smtp.last_to("reader@example.org"))
    page = api.get(path_of(tracking_link))
    assert page.status_code == 200
    assert b"reader@example.org" not in page.content
    assert b"+4915112345678" not in page.content

    url = f"/api/v1/shipments/{shipment['id']}/"
    for change in (
        {"status": "in_transit", "location_zip_code": "10115"},
        {
            "status": "in_transit",
            "location_zip_code": "15230",
            "description": "Hub scan",
        },
        {"status": "out_for_delivery", "location_zip_code": "20095"},
    ):
        response = api.patch(url, change, format="json", **partner)
        assert response.status_code == 200, response.content
    run_jobs()
    mail = smtp.last_to("reader@example.org")
    found = re.search(r"code to the courier to receive it: (\d{6})", text_of(mail))
    assert found is not None
    code = found.group(1)
    wrong = "000000" if code != "000000" else "111111"
    assert (
        api.patch(
            url,
            {"status": "delivered", "verification_code": wrong},
            format="json",
            **partner,
        ).json()["errors"][0]["code"]
        == "invalid_verification_code"
    )
    delivered = api.patch(
        url,
        {"status": "delivered", "verification_code": code},
        format="json",
        **partner,
    )
    assert delivered.status_code == 200, delivered.content
    assert delivered.json()["status"] == "delivered"
    run_jobs()
    review_link, _tracking = links_in(smtp.last_to("reader@example.org"))
    assert api.get(path_of(review_link)).status_code == 200
    token = urlsplit(review_link).path.split("/")[2]
    review = api.post(
        "/api/v1/reviews/",
        {"token": token, "rating": 5, "comment": "Fast!"},
        format="json",
    )
    assert review.status_code == 201, review.content
    again = api.post("/api/v1/reviews/", {"token": token, "rating": 1}, format="json")
    assert again.status_code == 409
    assert again.json()["errors"][0]["code"] == "already_reviewed"

    events = api.get(f"{url}events/", **seller).json()
    assert [event["status"] for event in events] == [
        "placed",
        "in_transit",
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    assert events[2]["description"] == "Hub scan"
    me = api.get("/api/v1/me/", **partner).json()
    assert me["role"] == "partner"
    assert me["active_shipments"] == 0
    # every mail had its links followed: nothing in the outbox is left pending
    from shipping.models import Notification

    assert not Notification.objects.filter(state="pending").exists()
    assert set(Notification.objects.values_list("kind", flat=True)) == {
        "verify_email",
        "shipment_placed",
        "out_for_delivery",
        "delivered",
    }


def test_cancellation_tells_the_recipient(api, smtp, run_jobs, settings):
    """A seller cancels a placed shipment; the recipient gets the cancelled mail."""
    from tests.factories import bearer, partner_make, seller_make, shipment_make

    settings.PUBLIC_BASE_URL = "http://testserver"
    seller = seller_make()
    partner = partner_make(capacity=1)
    shipment = shipment_make(seller=seller, recipient_email="cancel-me@example.org")
    response = api.post(f"/api/v1/shipments/{shipment.pk}/cancel/", **bearer(seller))
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    run_jobs()
    subjects = [m["Subject"] for m in smtp.to("cancel-me@example.org")]
    assert "A shipment to you was cancelled" in subjects
    (link,) = links_in(smtp.last_to("cancel-me@example.org"))
    assert api.get(path_of(link)).status_code == 200
    partner.refresh_from_db()
    assert partner.active_shipments == 0  # capacity is given back


def test_password_reset_link_works_once(api, smtp, run_jobs, settings):
    """Reset by mail: the link's token sets a password once and ends old sessions."""
    from tests.factories import seller_make

    settings.PUBLIC_BASE_URL = "http://testserver"
    seller = seller_make(email="forgetful@example.com")
    old = login(api, "forgetful@example.com")
    assert (
        api.post(
            "/api/v1/auth/password-reset/",
            {"email": "forgetful@example.com"},
            format="json",
        ).status_code
        == 202
    )
    assert (
        api.post(
            "/api/v1/auth/password-reset/",
            {"email": "nobody@example.com"},
            format="json",
        ).status_code
        == 202
    )
    run_jobs()
    assert not smtp.to("nobody@example.com")
    (link,) = links_in(smtp.last_to("forgetful@example.com"))
    assert api.get(path_of(link)).status_code == 200
    token = urlsplit(link).path.split("/")[2]
    new_password = "a-brand-new-secret-77"
    first = api.post(
        "/api/v1/auth/password-reset/confirm/",
        {"token": token, "password": new_password},
        format="json",
    )
    assert first.status_code == 200, first.content
    second = api.post(
        "/api/v1/auth/password-reset/confirm/",
        {"token": token, "password": "another-one-88x"},
        format="json",
    )
    assert second.status_code == 400
    assert (
        api.post(
            "/api/v1/auth/token/refresh/", {"refresh": old["refresh"]}, format="json"
        ).status_code
        == 401
    )
    ok = api.post(
        "/api/v1/auth/token/",
        {"email": seller.user.email, "password": new_password},
        format="json",
    )
    assert ok.status_code == 200


def test_squatted_address_is_recovered_by_its_owner(api, smtp, run_jobs, settings):
    """Someone signed up with my address first: a reset makes the account mine.

    The owner signing up again is answered as anyone (no account is made; the
    owner is mailed that one exists, with a reset link), can ask for a new
    verification mail, or reset the password: the reset proves the mailbox,
    verifies the address and ends the squatter's sessions.
    """
    settings.PUBLIC_BASE_URL = "http://testserver"
    squatter_password = "squatter-secret-2026"
    body = {
        "name": "Not the owner",
        "email": "owner@example.com",
        "password": squatter_password,
        "address": "1 Elsewhere",
        "zip_code": "10115",
    }
    assert api.post("/api/v1/sellers/", body, format="json").status_code == 201
    again = api.post("/api/v1/sellers/", {**body, "password": PASSWORD}, format="json")
    assert again.status_code == 201  # as for any address: nobody is told
    # A resend is 202 for every address; only an unverified account gets a mail.
    for email in ("owner@example.com", "nobody@example.com"):
        response = api.post(
            "/api/v1/auth/verify-email/resend/", {"email": email}, format="json"
        )
        assert response.status_code == 202
    run_jobs()
    # The squatter's sign-up, the notice of the owner's attempt, the resend.
    assert len(smtp.to("owner@example.com")) == 3
    assert not smtp.to("nobody@example.com")
    (verify_link,) = links_in(smtp.last_to("owner@example.com"))
    assert "/api/v1/auth/verify-email/?token=" in verify_link

    api.post("/api/v1/auth/password-reset/", {"email": body["email"]}, format="json")
    run_jobs()
    (reset_link,) = links_in(smtp.last_to("owner@example.com"))
    token = urlsplit(reset_link).path.split("/")[2]
    confirmed = api.post(
        "/api/v1/auth/password-reset/confirm/",
        {"token": token, "password": PASSWORD},
        format="json",
    )
    assert confirmed.status_code == 200, confirmed.content
    assert login(api, "owner@example.com")["access"]  # verified: no 403
    squatter = api.post(
        "/api/v1/auth/token/",
        {"email": "owner@example.com", "password": squatter_password},
        format="json",
    )
    assert squatter.status_code == 401
    # Verified now: a resend mails nothing more.
    sent = len(smtp.to("owner@example.com"))
    api.post(
        "/api/v1/auth/verify-email/resend/", {"email": body["email"]}, format="json"
    )
    run_jobs()
    assert len(smtp.to("owner@example.com")) == sent


def test_verification_resend_is_throttled_per_account(api, monkeypatch):
    from shipping.throttles import VerificationResendAccountThrottle

    monkeypatch.setattr(
        VerificationResendAccountThrottle, "rate", "2/hour", raising=False
    )
    codes = [
        api.post(
            "/api/v1/auth/verify-email/resend/",
            {"email": "Someone@example.com"},
            format="json",
        ).status_code
        for _ in range(3)
    ]
    assert codes == [202, 202, 429]
    bad = api.post("/api/v1/auth/verify-email/resend/", {"email": "x"}, format="json")
    assert bad.status_code == 400
