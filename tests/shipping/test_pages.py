"""Pages for people: the review form and the new-password form work end to end."""

from __future__ import annotations

import pytest

from shipping.models import Review
from shipping.services.tokens import password_reset_token, review_token
from tests.factories import seller_make

pytestmark = pytest.mark.django_db


def test_review_form_records_one_review(client, delivered):
    """The form from the delivered email records the review; a second is refused."""
    url = f"/review/{review_token(shipment=delivered)}/"
    assert b"How was your delivery?" in client.get(url).content
    assert client.post(url, {"rating": "9"}).status_code == 400
    done = client.post(url, {"rating": "4", "comment": "Friendly courier"})
    assert done.status_code == 200
    assert b"Your review was recorded." in done.content
    review = Review.objects.get(shipment=delivered)
    assert (review.rating, review.comment) == (4, "Friendly courier")
    assert b"already been reviewed" in client.get(url).content


def test_reset_form_changes_the_password_once(client):
    """The reset form sets a new password; the same link then says it is used."""
    seller = seller_make()
    url = f"/reset-password/{password_reset_token(user=seller.user)}/"
    assert client.get(url).status_code == 200
    mismatch = client.post(
        url, {"password": "a-new-pass-123", "password_again": "other"}
    )
    assert mismatch.status_code == 400
    weak = client.post(url, {"password": "123", "password_again": "123"})
    assert weak.status_code == 400
    done = client.post(
        url, {"password": "a-new-pass-123", "password_again": "a-new-pass-123"}
    )
    assert b"Your password was changed" in done.content
    seller.user.refresh_from_db()
    assert seller.user.check_password("a-new-pass-123")
    assert client.get(url).status_code == 400


def test_pages_carry_a_strict_content_security_policy(client, delivered):
    """Every page answers with a CSP that allows only its own origin, no
    script; the tracking page its own script file, no inline script."""
    from fastship.security import PAGE_CSP, TRACKING_CSP

    answers = [
        client.get("/review/not-a-token/"),
        client.get("/reset-password/not-a-token/"),
    ]
    for answer in answers:
        assert answer["Content-Security-Policy"] == PAGE_CSP
        assert "<style>" not in answer.content.decode()
    assert "script-src" not in PAGE_CSP
    assert "'unsafe-inline'" not in PAGE_CSP
    tracking = client.get(f"/track/{delivered.tracking_code}/")
    assert tracking["Content-Security-Policy"] == TRACKING_CSP
    # The one difference: scripts from this origin.
    assert TRACKING_CSP.replace(" script-src 'self';", "") == PAGE_CSP
    html = tracking.content.decode()
    assert "<style>" not in html
    assert "<script>" not in html  # only <script src=...> of ours
