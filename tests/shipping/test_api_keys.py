"""API keys: a seller's shop backend authenticates without a password."""

from __future__ import annotations

import pytest

from fastship.requestlog.models import RequestLog
from shipping.models import ApiKey
from tests.factories import SHIPMENT_BODY, bearer, partner_make, seller_make

pytestmark = pytest.mark.django_db


def api_key(value: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Api-Key {value}"}


def make_key(api, seller, name="shop backend") -> dict:
    answer = api.post(
        "/api/v1/api-keys/", {"name": name}, format="json", **bearer(seller)
    )
    assert answer.status_code == 201, answer.content
    return answer.json()


def error_code(response) -> str:
    return response.json()["errors"][0]["code"]


def test_a_key_is_shown_once_and_stored_only_as_a_hash(api):
    seller = seller_make()
    made = make_key(api, seller)
    assert set(made) == {
        "id",
        "name",
        "prefix",
        "key",
        "livemode",
        "scopes",
        "expires_at",
        "created_at",
        "last_used_at",
    }
    assert made["key"].startswith(made["prefix"] + ".")
    assert made["prefix"].startswith("fsk_live_")
    assert made["livemode"] is True
    assert made["expires_at"] is None
    row = ApiKey.objects.get(pk=made["id"])
    assert made["key"] not in row.hashed_key
    assert row.hashed_key.startswith("sha512$$")
    listed = api.get("/api/v1/api-keys/", **bearer(seller)).json()
    assert [item["prefix"] for item in listed] == [made["prefix"]]
    assert "key" not in listed[0]


def test_a_key_authenticates_as_its_seller_on_seller_routes(api):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    key = make_key(api, seller)["key"]
    created = api.post(
        "/api/v1/shipments/", SHIPMENT_BODY, format="json", **api_key(key)
    )
    assert created.status_code == 201, created.content
    listed = api.get("/api/v1/shipments/", **api_key(key))
    assert [s["id"] for s in listed.json()["results"]] == [created.json()["id"]]
    assert api.get("/api/v1/me/", **api_key(key)).json()["email"] == seller.user.email
    used = api.get("/api/v1/api-keys/", **api_key(key)).json()[0]["last_used_at"]
    assert used is not None


@pytest.mark.parametrize(
    "header",
    [
        "Api-Key fsk_AAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",  # unknown
        "Api-Key not-a-key",
        "Api-Key ",
        "Api-Key a b",
        "Api-Key fsk_AAAAAAAA.\x00BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
    ],
)
def test_unknown_or_malformed_keys_are_401_in_the_error_format(api, header):
    answer = api.get("/api/v1/shipments/", HTTP_AUTHORIZATION=header)
    assert answer.status_code == 401
    assert answer.json()["type"] == "client_error"
    assert error_code(answer) == "authentication_failed"


def test_a_revoked_key_stops_at_once_and_another_sellers_key_is_404(api):
    seller, other = seller_make(), seller_make()
    made = make_key(api, seller)
    assert api.get("/api/v1/shipments/", **api_key(made["key"])).status_code == 200
    assert (
        api.delete(f"/api/v1/api-keys/{made['id']}/", **bearer(other)).status_code
        == 404
    )
    assert api.get("/api/v1/shipments/", **api_key(made["key"])).status_code == 200
    assert (
        api.delete(f"/api/v1/api-keys/{made['id']}/", **bearer(seller)).status_code
        == 204
    )
    refused = api.get("/api/v1/shipments/", **api_key(made["key"]))
    assert refused.status_code == 401
    assert api.get("/api/v1/api-keys/", **bearer(seller)).json() == []
    again = api.delete(f"/api/v1/api-keys/{made['id']}/", **bearer(seller))
    assert again.status_code == 404


def test_a_key_cannot_mint_keys(api):
    seller = seller_make()
    key = make_key(api, seller)["key"]
    refused = api.post(
        "/api/v1/api-keys/", {"name": "more"}, format="json", **api_key(key)
    )
    assert refused.status_code == 403
    assert error_code(refused) == "permission_denied"
    assert ApiKey.objects.count() == 1


def test_partners_cannot_have_keys(api):
    partner = partner_make(zip_codes=("20095",))
    answer = api.post(
        "/api/v1/api-keys/", {"name": "x"}, format="json", **bearer(partner)
    )
    assert answer.status_code == 403


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_request_log_records_the_prefix_never_the_key(api, settings):
    """Through the real pipeline: buffer, RQ, a worker's insert."""
    from rq import SimpleWorker

    from fastship.jobs import get_queue
    from fastship.redis import get_redis
    from fastship.requestlog.shipper import get_shipper, reset_shipper

    settings.REQUEST_LOG_FLUSH_INTERVAL = 0.05
    reset_shipper()
    get_queue("request_logs").empty()
    seller = seller_make()
    made = make_key(api, seller)
    api.get(
        "/api/v1/shipments/", HTTP_X_REQUEST_ID="with-a-key", **api_key(made["key"])
    )
    get_shipper().flush(5)
    SimpleWorker([get_queue("request_logs")], connection=get_redis()).work(burst=True)
    reset_shipper()
    row = RequestLog.objects.get(request_id="with-a-key")
    assert row.credential == f"api-key:{made['prefix']}"
    stored = " ".join(str(value) for value in vars(row).values())
    assert made["key"].partition(".")[2] not in stored
    assert "Api-Key" not in stored


def test_a_key_shares_its_sellers_throttle(api, monkeypatch):
    """Creates with the login and with the key count against one limit."""
    from shipping.throttles import ShipmentCreateThrottle

    monkeypatch.setattr(ShipmentCreateThrottle, "rate", "3/min", raising=False)
    seller = seller_make()
    partner_make(zip_codes=("20095",), capacity=50)
    key = make_key(api, seller)["key"]
    by_login = [
        api.post("/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller))
        for _ in range(2)
    ]
    by_key = api.post(
        "/api/v1/shipments/", SHIPMENT_BODY, format="json", **api_key(key)
    )
    refused = api.post(
        "/api/v1/shipments/", SHIPMENT_BODY, format="json", **api_key(key)
    )
    assert [r.status_code for r in (*by_login, by_key)] == [201, 201, 201]
    assert refused.status_code == 429


def test_the_key_alone_is_taken_as_swagger_ui_sends_it(api):
    """/docs's Authorize box sends what was pasted: the key without its scheme."""
    seller = seller_make()
    key = make_key(api, seller)["key"]
    answer = api.get("/api/v1/me/", HTTP_AUTHORIZATION=key)
    assert answer.status_code == 200, answer.content
    assert answer.json()["email"] == seller.user.email
    unknown = "fsk_AAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
    refused = api.get("/api/v1/me/", HTTP_AUTHORIZATION=unknown)
    assert refused.status_code == 401
    assert error_code(refused) == "authentication_failed"


def test_the_api_index_and_docs_tell_how_to_authenticate(api, client):
    index = api.get("/api/v1/").json()
    assert index["docs"].endswith("/docs")
    assert index["schema"].endswith("/api/v1/schema/")
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    description = schema["info"]["description"]
    assert "Bearer" in description
    assert "Api-Key" in description
    assert set(schema["components"]["securitySchemes"]) >= {"jwtAuth", "apiKey"}
    # Swagger UI's start-up script (a file, for the CSP) keeps Authorize.
    script = client.get("/docs?script=").content.decode()
    assert "persistAuthorization" in script
