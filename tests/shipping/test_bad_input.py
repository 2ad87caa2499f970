"""Bad input gets a clear 4xx in the error format and changes nothing; never a 500."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shipping.models import Shipment, ShipmentEvent
from tests.factories import bearer, partner_make, seller_make, shipment_make

pytestmark = pytest.mark.django_db

VALID = {
    "content": "A lamp",
    "weight_kg": "2.5",
    "destination_zip_code": "20095",
    "recipient_email": "r@example.org",
}


@pytest.fixture
def seller_auth(seeded_tags):
    seller = seller_make()
    partner_make(zip_codes=("20095",), capacity=1000)
    return bearer(seller)


def post_raw(client, body: bytes, auth, content_type="application/json"):
    return client.generic(
        "POST", "/api/v1/shipments/", body, content_type=content_type, **auth
    )


@pytest.mark.parametrize(
    ("change", "attr"),
    [
        ({"weight_kg": "0"}, "weight_kg"),
        ({"weight_kg": "-1"}, "weight_kg"),
        ({"weight_kg": "25.01"}, "weight_kg"),
        ({"weight_kg": "heavy"}, "weight_kg"),
        ({"content": ""}, "content"),
        ({"content": "x" * 501}, "content"),
        ({"recipient_email": "not-an-email"}, "recipient_email"),
        ({"recipient_phone": "0151 123"}, "recipient_phone"),
        ({"destination_zip_code": "!!"}, "destination_zip_code"),
        ({"tags": "fragile"}, "tags"),
        ({"tags": ["gold"]}, "tags"),
        ({"unexpected": 1}, "unexpected"),
        ({"content": 12}, "content"),
        ({"content": True}, "content"),
        ({"tags": [1]}, "tags"),
    ],
)
def test_invalid_create_is_400_and_creates_nothing(client, seller_auth, change, attr):
    """Each invalid field is a 400 validation error naming it; nothing is created."""
    response = client.post(
        "/api/v1/shipments/",
        json.dumps({**VALID, **change}),
        content_type="application/json",
        **seller_auth,
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "validation_error"
    assert attr in [error["attr"] for error in body["errors"]]
    assert Shipment.objects.count() == 0


def test_malformed_json_and_wrong_media_type(client, seller_auth):
    """Malformed JSON is 400 parse_error; a form body is 415."""
    broken = post_raw(client, b'{"content": "x",', seller_auth)
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["code"] == "parse_error"
    form = post_raw(
        client, b"content=x", seller_auth, "application/x-www-form-urlencoded"
    )
    assert form.status_code == 415
    not_object = post_raw(client, b"[1, 2]", seller_auth)
    assert not_object.status_code == 400
    assert Shipment.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/auth/token/", b'{"email": ' + b"[" * 5_000),
        ("/api/v1/shipments/", b'{"a": ' * 50_000 + b"1" + b"}" * 50_000),
        ("/api/v1/reviews/", b"[" * 100_000 + b"]" * 100_000),
    ],
    ids=["open-arrays", "objects", "closed-arrays"],
)
def test_deep_nesting_is_400_parse_error(client, seller_auth, path, body):
    """JSON nested past the parser's recursion limit is 400 parse_error, not 500."""
    response = (
        post_raw(client, body, seller_auth)
        if "shipments" in path
        else (client.generic("POST", path, body, content_type="application/json"))
    )
    assert response.status_code == 400, response.content[:300]
    assert response.json()["errors"][0]["code"] == "parse_error"
    assert Shipment.objects.count() == 0


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/track/%00/",
        "/track/%00/",
        "/api/v1/track/a%20b/",
        "/api/v1/shipments/00000000-0000-0000-0000-000000000000/tags/%00/",
    ],
)
def test_impossible_path_segments_are_404(client, seller_auth, path):
    """A NUL byte or a character no code or tag has: 404, no query, no 500."""
    method = "DELETE" if "/tags/" in path else "GET"
    response = client.generic(method, path, **seller_auth)
    assert response.status_code == 404


def test_oversized_body_is_413(client, seller_auth, settings):
    """A body over the limit is refused with 413 before it is parsed."""
    body = json.dumps(
        {**VALID, "content": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)}
    )
    response = post_raw(client, body.encode(), seller_auth)
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "request_too_large"
    assert Shipment.objects.count() == 0


def test_garbage_tokens_are_4xx(client):
    """Garbage bearer, review and reset tokens are clear 4xx answers."""
    assert (
        client.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer garbage").status_code
        == 401
    )
    review = client.post(
        "/api/v1/reviews/",
        {"token": "garbage", "rating": 5},
        content_type="application/json",
    )
    assert review.status_code == 400
    assert client.get("/review/garbage/").status_code == 400
    assert client.get("/reset-password/garbage/").status_code == 400
    assert client.get("/api/v1/shipments/not-a-uuid/").status_code in (401, 404)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)
create_bodies = st.fixed_dictionaries(
    {},
    optional={
        "content": json_values,
        "weight_kg": json_values
        | st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
        "destination_zip_code": json_values,
        "recipient_email": json_values | st.emails(),
        "recipient_phone": json_values,
        "tags": json_values
        | st.lists(st.sampled_from(["fragile", "gold", "express"]), max_size=3),
    },
) | st.dictionaries(st.text(max_size=12), json_values, max_size=4)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=create_bodies)
def test_random_create_payloads_never_500(client, seller_auth, body):
    """Random create payloads: never a 500; a 4xx creates nothing."""
    before = Shipment.objects.count()
    response = client.post(
        "/api/v1/shipments/",
        json.dumps(body),
        content_type="application/json",
        **seller_auth,
    )
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert Shipment.objects.count() == before
        assert response.json()["type"] in {"validation_error", "client_error"}


update_bodies = st.fixed_dictionaries(
    {},
    optional={
        "status": json_values
        | st.sampled_from(
            ["placed", "in_transit", "out_for_delivery", "delivered", "cancelled"]
        ),
        "location_zip_code": json_values,
        "description": json_values,
        "estimated_delivery": json_values | st.datetimes().map(lambda d: d.isoformat()),
        "verification_code": json_values | st.from_regex(r"\A\d{6}\Z"),
    },
) | st.dictionaries(st.text(max_size=12), json_values, max_size=4)


@pytest.fixture
def partner_world(seeded_tags):
    seller = seller_make()
    partner = partner_make(zip_codes=("20095",), capacity=1000)
    return bearer(partner), shipment_make(seller=seller)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=update_bodies)
def test_random_update_payloads_never_500(client, partner_world, body):
    """Random partner updates: never a 500; a 4xx leaves the timeline unchanged."""
    auth, shipment = partner_world
    events_before = ShipmentEvent.objects.filter(shipment=shipment).count()
    response = client.patch(
        f"/api/v1/shipments/{shipment.pk}/",
        json.dumps(body),
        content_type="application/json",
        **auth,
    )
    assert response.status_code < 500, response.content
    if (
        response.status_code >= 400
        and response.json()["errors"][0]["code"] != "invalid_verification_code"
    ):
        assert ShipmentEvent.objects.filter(shipment=shipment).count() == events_before


def test_listing_costs_constant_queries(client, seeded_tags):
    """Listing shipments costs the same number of queries for 5 or 50 per page."""
    seller = seller_make()
    partner_make(zip_codes=("20095",), capacity=100)
    for number in range(50):
        shipment_make(seller=seller, tags=["fragile", "express"] if number % 2 else [])
    auth = bearer(seller)
    counts = []
    for size in (5, 50):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/shipments/?page_size={size}", **auth)
        assert response.status_code == 200
        assert len(response.json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 4


def test_a_bare_bearer_header_is_one_401_error(client):
    """`Authorization: Bearer` without a token: 401 with a single error."""
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer")
    assert response.status_code == 401
    assert len(response.json()["errors"]) == 1
    assert response.json()["errors"][0]["attr"] is None


def test_refresh_token_of_a_deleted_user_is_401(client):
    """A refresh token whose user is gone is invalid, not a server error."""
    from rest_framework_simplejwt.tokens import RefreshToken

    user = seller_make(email="gone@example.com").user
    refresh = str(RefreshToken.for_user(user))
    user.delete()
    response = client.post(
        "/api/v1/auth/token/refresh/",
        {"refresh": refresh},
        content_type="application/json",
    )
    assert response.status_code == 401
    assert len(response.json()["errors"]) == 1


@pytest.mark.parametrize("status", ["placed", "cancelled"])
def test_a_real_status_outside_the_table_is_409(client, partner_world, status):
    """PATCH to a real status that the table does not allow: 409 invalid_transition."""
    auth, shipment = partner_world
    response = client.patch(
        f"/api/v1/shipments/{shipment.pk}/",
        json.dumps({"status": status}),
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "invalid_transition"


def test_a_finished_shipment_is_frozen(client, partner_world):
    """Nothing of a delivered or cancelled shipment changes, its timeline included."""
    from shipping.services.shipments import shipment_cancel

    auth, shipment = partner_world
    shipment_cancel(shipment_id=shipment.pk, seller=shipment.seller)
    events_before = ShipmentEvent.objects.filter(shipment=shipment).count()
    for body in (
        {"description": "URGENT pay here"},
        {"estimated_delivery": "2030-01-01T10:00:00Z"},
    ):
        response = client.patch(
            f"/api/v1/shipments/{shipment.pk}/",
            json.dumps(body),
            content_type="application/json",
            **auth,
        )
        assert response.status_code == 409, response.content
        assert response.json()["errors"][0]["code"] == "invalid_transition"
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == events_before


def test_a_password_reset_revokes_access_tokens_at_once(client):
    """An access token minted before a password reset stops working right away."""
    from shipping.services.accounts import password_reset_confirm
    from shipping.services.tokens import password_reset_token

    seller = seller_make(email="reset-revokes@example.com")
    auth = bearer(seller)
    assert client.get("/api/v1/me/", **auth).status_code == 200
    token = password_reset_token(user=seller.user)
    password_reset_confirm(token=token, password="a-new-long-passphrase-42")
    response = client.get("/api/v1/me/", **auth)
    assert response.status_code == 401
    assert len(response.json()["errors"]) == 1
    seller.user.refresh_from_db()  # a token of the new password works
    assert client.get("/api/v1/me/", **bearer(seller)).status_code == 200


@pytest.mark.parametrize(
    "query",
    ["tag=", "status=", "page_size=null", "page_size=0", "page_size=101", "page=0"],
)
def test_bad_list_parameters_are_400(client, seller_auth, query):
    """A blank filter or a bad page size is refused, not read as the default."""
    response = client.get(f"/api/v1/shipments/?{query}", **seller_auth)
    assert response.status_code == 400, response.content
    assert response.json()["type"] == "validation_error"


def test_numbers_are_not_text_in_a_profile_update(client, seller_auth):
    """{"name": 0} is a 400, as the schema says (DRF alone would store "0")."""
    before = client.get("/api/v1/me/", **seller_auth).json()
    response = client.patch(
        "/api/v1/me/", {"name": 0}, content_type="application/json", **seller_auth
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "name"
    assert client.get("/api/v1/me/", **seller_auth).json() == before
