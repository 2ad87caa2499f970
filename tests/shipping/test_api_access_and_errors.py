"""Every error path of the API table, and who may see and do what."""

from __future__ import annotations

import pytest

from shipping.models import Shipment, User
from tests.factories import PASSWORD, bearer, partner_make, seller_make, shipment_make

pytestmark = pytest.mark.django_db

NEW_SHIPMENT = {
    "content": "A lamp",
    "weight_kg": "2.5",
    "destination_zip_code": "20095",
    "recipient_email": "r@example.org",
}


def error_code(response) -> str:
    body = response.json()
    assert body["type"] in {"validation_error", "client_error"}
    return body["errors"][0]["code"]


def error_attr(response) -> str | None:
    return response.json()["errors"][0]["attr"]


@pytest.fixture
def world(seeded_tags):
    seller = seller_make()
    other_seller = seller_make()
    partner = partner_make(zip_codes=("20095",), capacity=5)
    other_partner = partner_make(zip_codes=("99999",), capacity=5)
    shipment = shipment_make(seller=seller)
    return {
        "seller": seller,
        "other_seller": other_seller,
        "partner": partner,
        "other_partner": other_partner,
        "shipment": shipment,
    }


class TestSignupAndLogin:
    def test_a_taken_address_answers_as_a_new_one_and_mails_its_owner(self, api):
        """A sign-up does not tell who has an account (staff included): the
        answer is the same, no account is made, the owner gets a mail."""
        from shipping.models import Notification

        seller_make(email="dup@example.com")
        User.objects.create_superuser("boss@example.com", PASSWORD)
        answers = []
        for email in ("DUP@example.com", "boss@example.com", "new@example.com"):
            response = api.post(
                "/api/v1/sellers/",
                {
                    "name": "x",
                    "email": email,
                    "password": PASSWORD,
                    "address": "a",
                    "zip_code": "10115",
                },
                format="json",
            )
            assert response.status_code == 201, response.content
            answers.append(response.json())
        assert [set(answer) for answer in answers] == [
            {"name", "email", "address", "zip_code"}
        ] * 3
        assert User.objects.filter(email="dup@example.com").count() == 1
        assert User.objects.get(email="dup@example.com").role == "seller"
        told = Notification.objects.filter(kind="account_exists")
        assert sorted(told.values_list("recipient", flat=True)) == [
            "boss@example.com",
            "dup@example.com",
        ]
        assert User.objects.filter(email="new@example.com").exists()

    def test_weak_password_is_400_on_password(self, api):
        """Django's password validators apply to sign-up."""
        response = api.post(
            "/api/v1/partners/",
            {
                "name": "x",
                "email": "weak@example.com",
                "password": "123",
                "serviceable_zip_codes": ["1000"],
                "max_handling_capacity": 1,
            },
            format="json",
        )
        assert response.status_code == 400
        assert error_attr(response) == "password"
        assert not User.objects.filter(email="weak@example.com").exists()

    @pytest.mark.parametrize(
        ("field", "value"),
        [("serviceable_zip_codes", []), ("max_handling_capacity", 0)],
    )
    def test_partner_bounds(self, api, field, value):
        """A partner needs at least one zip code and a capacity of at least 1."""
        body = {
            "name": "x",
            "email": "p@example.com",
            "password": PASSWORD,
            "serviceable_zip_codes": ["1000"],
            "max_handling_capacity": 1,
            field: value,
        }
        response = api.post("/api/v1/partners/", body, format="json")
        assert response.status_code == 400
        assert error_attr(response) == field

    def test_wrong_credentials_401_unverified_403(self, api):
        """Wrong password is 401; a right password on an unverified email is 403."""
        seller_make(email="unverified@example.com", verified=False)
        wrong = api.post(
            "/api/v1/auth/token/",
            {"email": "unverified@example.com", "password": "nope-nope-nope"},
            format="json",
        )
        assert wrong.status_code == 401
        unverified = api.post(
            "/api/v1/auth/token/",
            {"email": "unverified@example.com", "password": PASSWORD},
            format="json",
        )
        assert unverified.status_code == 403
        assert error_code(unverified) == "email_not_verified"

    def test_bad_verification_token_is_400(self, api):
        """A forged or garbage verification token is a 400."""
        assert api.get("/api/v1/auth/verify-email/?token=garbage").status_code == 400
        assert api.get("/api/v1/auth/verify-email/").status_code == 400

    def test_refresh_rotates_and_blacklists(self, api):
        """A refresh gives a new pair; the old refresh token then fails with 401."""
        seller_make(email="rot@example.com")
        pair = api.post(
            "/api/v1/auth/token/",
            {"email": "rot@example.com", "password": PASSWORD},
            format="json",
        ).json()
        rotated = api.post(
            "/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json"
        )
        assert rotated.status_code == 200
        assert set(rotated.json()) == {"access", "refresh"}
        again = api.post(
            "/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]}, format="json"
        )
        assert again.status_code == 401
        garbage = api.post(
            "/api/v1/auth/token/refresh/", {"refresh": "x.y.z"}, format="json"
        )
        assert garbage.status_code == 401

    def test_logout_kills_the_refresh_token(self, api):
        """After logout the refresh token no longer works."""
        seller_make(email="out@example.com")
        pair = api.post(
            "/api/v1/auth/token/",
            {"email": "out@example.com", "password": PASSWORD},
            format="json",
        ).json()
        auth = {"HTTP_AUTHORIZATION": f"Bearer {pair['access']}"}
        assert (
            api.post(
                "/api/v1/auth/logout/",
                {"refresh": pair["refresh"]},
                format="json",
                **auth,
            ).status_code
            == 204
        )
        assert (
            api.post(
                "/api/v1/auth/token/refresh/",
                {"refresh": pair["refresh"]},
                format="json",
            ).status_code
            == 401
        )
        assert (
            api.post(
                "/api/v1/auth/logout/", {"refresh": pair["refresh"]}, format="json"
            ).status_code
            == 401
        )

    def test_garbage_reset_token_is_400(self, api):
        """A garbage password-reset token is a 400."""
        response = api.post(
            "/api/v1/auth/password-reset/confirm/",
            {"token": "MQ.garbage", "password": "a-new-password-99"},
            format="json",
        )
        assert response.status_code == 400


class TestAccessControl:
    def test_other_sellers_shipment_is_404(self, api, world):
        """Another seller's shipment is 404 everywhere, never 403."""
        auth = bearer(world["other_seller"])
        shipment_id = world["shipment"].pk
        for path in (
            f"/api/v1/shipments/{shipment_id}/",
            f"/api/v1/shipments/{shipment_id}/events/",
        ):
            assert api.get(path, **auth).status_code == 404
        assert (
            api.post(f"/api/v1/shipments/{shipment_id}/cancel/", **auth).status_code
            == 404
        )
        tag = api.post(
            f"/api/v1/shipments/{shipment_id}/tags/",
            {"name": "fragile"},
            format="json",
            **auth,
        )
        assert tag.status_code == 404

    def test_unassigned_partner_gets_404(self, api, world):
        """A partner not assigned to the shipment gets 404 for reads and updates."""
        auth = bearer(world["other_partner"])
        url = f"/api/v1/shipments/{world['shipment'].pk}/"
        assert api.get(url, **auth).status_code == 404
        assert (
            api.patch(url, {"status": "in_transit"}, format="json", **auth).status_code
            == 404
        )

    def test_partner_cannot_create_and_seller_cannot_update(self, api, world):
        """Partners cannot create shipments; sellers cannot change status."""
        created = api.post(
            "/api/v1/shipments/",
            NEW_SHIPMENT,
            format="json",
            **bearer(world["partner"]),
        )
        assert created.status_code == 403
        url = f"/api/v1/shipments/{world['shipment'].pk}/"
        updated = api.patch(
            url, {"status": "in_transit"}, format="json", **bearer(world["seller"])
        )
        assert updated.status_code == 403
        assert Shipment.objects.get(pk=world["shipment"].pk).status == "placed"

    def test_anonymous_sees_only_public_data(self, api, world):
        """Anonymous: 401 on private routes; tracking shows no personal data."""
        shipment = world["shipment"]
        assert api.get("/api/v1/shipments/").status_code == 401
        assert api.get(f"/api/v1/shipments/{shipment.pk}/").status_code == 401
        assert api.get("/api/v1/me/").status_code == 401
        for path in (
            f"/api/v1/track/{shipment.tracking_code}/",
            f"/track/{shipment.tracking_code}/",
        ):
            response = api.get(path)
            assert response.status_code == 200
            body = response.content.decode()
            for private in (
                shipment.recipient_email,
                shipment.recipient_phone,
                world["seller"].user.email,
                world["seller"].user.name,
                str(shipment.pk),
            ):
                assert private not in body
        assert api.get("/api/v1/track/nope/").status_code == 404
        assert api.get("/api/v1/tags/").status_code == 200

    def test_lists_are_scoped_and_paginated(self, api, world):
        """A seller lists only its shipments; a partner only its assigned ones."""
        shipment_make(seller=world["other_seller"])
        seller_list = api.get(
            "/api/v1/shipments/?page_size=5", **bearer(world["seller"])
        ).json()
        assert len(seller_list["results"]) == 1
        assert set(seller_list) == {"next", "previous", "results"}
        partner_list = api.get("/api/v1/shipments/", **bearer(world["partner"])).json()
        assert len(partner_list["results"]) == 2
        other = api.get("/api/v1/shipments/", **bearer(world["other_partner"])).json()
        assert other["results"] == []
        filtered = api.get(
            "/api/v1/shipments/?status=delivered", **bearer(world["partner"])
        ).json()
        assert filtered["results"] == []
        bad_filter = api.get(
            "/api/v1/shipments/?status=lost", **bearer(world["partner"])
        )
        assert bad_filter.status_code == 400
        # Beyond the maximum (100) is a 400 naming it, not silently 100.
        too_big = api.get(
            "/api/v1/shipments/?page_size=1000", **bearer(world["partner"])
        )
        assert too_big.status_code == 400
        assert too_big.json()["errors"][0]["attr"] == "page_size"
        largest = api.get(
            "/api/v1/shipments/?page_size=100", **bearer(world["partner"])
        ).json()
        assert len(largest["results"]) == 2


class TestShipmentRules:
    @pytest.mark.parametrize(
        ("path", "target"),
        [
            ([], "out_for_delivery"),
            ([], "delivered"),
            (["in_transit"], "in_transit"),
        ],
    )
    def test_transitions_outside_the_table_are_409(self, api, world, path, target):
        """A move not in the table is 409 invalid_transition and changes nothing."""
        url = f"/api/v1/shipments/{world['shipment'].pk}/"
        auth = bearer(world["partner"])
        for step in path:
            assert (
                api.patch(url, {"status": step}, format="json", **auth).status_code
                == 200
            )
        before = Shipment.objects.get(pk=world["shipment"].pk).status
        body = {"status": target}
        if target == "delivered":
            body["verification_code"] = "123456"
        response = api.patch(url, body, format="json", **auth)
        if target == "in_transit":  # a scan while in transit is allowed
            assert response.status_code == 200
            return
        assert response.status_code == 409
        assert error_code(response) == "invalid_transition"
        assert Shipment.objects.get(pk=world["shipment"].pk).status == before

    def test_cancel_only_before_out_for_delivery(self, api, world):
        """Out for delivery (or later) cannot be cancelled: 409."""
        url = f"/api/v1/shipments/{world['shipment'].pk}/"
        partner = bearer(world["partner"])
        api.patch(url, {"status": "in_transit"}, format="json", **partner)
        api.patch(url, {"status": "out_for_delivery"}, format="json", **partner)
        response = api.post(f"{url}cancel/", **bearer(world["seller"]))
        assert response.status_code == 409
        assert error_code(response) == "invalid_transition"

    def test_delivery_code_rules(self, api, world):
        """Missing code 400; wrong 1-4 → 400; 5th → 403 locked, and locked after."""
        url = f"/api/v1/shipments/{world['shipment'].pk}/"
        partner = bearer(world["partner"])
        api.patch(url, {"status": "in_transit"}, format="json", **partner)
        api.patch(url, {"status": "out_for_delivery"}, format="json", **partner)
        missing = api.patch(url, {"status": "delivered"}, format="json", **partner)
        assert missing.status_code == 400
        assert error_attr(missing) == "verification_code"
        codes = []
        for attempt in range(1, 6):
            response = api.patch(
                url,
                {"status": "delivered", "verification_code": f"{attempt:06d}"},
                format="json",
                **partner,
            )
            codes.append((response.status_code, error_code(response)))
        assert codes[:4] == [(400, "invalid_verification_code")] * 4
        assert codes[4] == (403, "verification_locked")
        later = api.patch(
            url,
            {"status": "delivered", "verification_code": "999999"},
            format="json",
            **partner,
        )
        assert later.status_code == 403
        assert (
            Shipment.objects.get(pk=world["shipment"].pk).status == "out_for_delivery"
        )
        # a new attempt issues a new code and unlocks
        api.patch(url, {"status": "in_transit"}, format="json", **partner)
        api.patch(url, {"status": "out_for_delivery"}, format="json", **partner)
        fresh = api.patch(
            url,
            {"status": "delivered", "verification_code": "999999"},
            format="json",
            **partner,
        )
        assert fresh.status_code in (200, 400)
        if fresh.status_code == 400:
            assert error_code(fresh) == "invalid_verification_code"

    def test_no_partner_available_is_409(self, api, world):
        """No partner for the zip code (or none with capacity): 409."""
        response = api.post(
            "/api/v1/shipments/",
            {**NEW_SHIPMENT, "destination_zip_code": "55555"},
            format="json",
            **bearer(world["seller"]),
        )
        assert response.status_code == 409
        assert error_code(response) == "no_partner_available"

    def test_tags_add_remove_and_unknown(self, api, world):
        """Unknown tag 400; add and remove work; remove of an absent tag 404."""
        url = f"/api/v1/shipments/{world['shipment'].pk}/tags/"
        auth = bearer(world["seller"])
        assert api.post(url, {"name": "gold"}, format="json", **auth).status_code == 400
        added = api.post(url, {"name": "fragile"}, format="json", **auth)
        assert added.status_code == 200
        assert "fragile" in added.json()["tags"]
        assert api.delete(f"{url}fragile/", **auth).status_code == 204
        assert api.delete(f"{url}fragile/", **auth).status_code == 404

    def test_idempotency_key_replays_and_refuses_other_bodies(self, api, world):
        """Same key + body → the first answer, one shipment; other body → 409."""
        auth = {**bearer(world["seller"]), "HTTP_IDEMPOTENCY_KEY": "order-42"}
        first = api.post("/api/v1/shipments/", NEW_SHIPMENT, format="json", **auth)
        second = api.post("/api/v1/shipments/", NEW_SHIPMENT, format="json", **auth)
        assert first.status_code == second.status_code == 201
        assert first.json() == second.json()
        other = api.post(
            "/api/v1/shipments/",
            {**NEW_SHIPMENT, "content": "Other"},
            format="json",
            **auth,
        )
        assert other.status_code == 409
        assert error_code(other) == "idempotency_key_reused"
        assert Shipment.objects.filter(content="A lamp").count() == 1

    def test_partner_profile_update(self, api, world):
        """A partner changes zip codes and capacity, never below its current load."""
        auth = bearer(world["partner"])
        updated = api.patch(
            "/api/v1/me/",
            {"serviceable_zip_codes": ["20095", "30001"], "max_handling_capacity": 3},
            format="json",
            **auth,
        )
        assert updated.status_code == 200, updated.content
        assert updated.json()["serviceable_zip_codes"] == ["20095", "30001"]
        assert updated.json()["max_handling_capacity"] == 3
        too_low = api.patch(
            "/api/v1/me/", {"max_handling_capacity": 0}, format="json", **auth
        )
        assert too_low.status_code == 400
        unknown = api.patch("/api/v1/me/", {"is_staff": True}, format="json", **auth)
        assert unknown.status_code == 400

    def test_unknown_api_path_is_json_404(self, api):
        """Unknown paths under /api/ answer 404 in the error format."""
        response = api.get("/api/v1/nothing-here/")
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "not_found"
