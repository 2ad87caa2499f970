"""Scoped, expiring API keys: every route's scope, checked on every route."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import URLPattern
from django.utils import timezone

from shipping.models import SCOPES, ApiKey
from shipping.permissions import required_scope
from shipping.urls import api_urlpatterns
from tests.factories import SHIPMENT_BODY, bearer, partner_make, seller_make

pytestmark = pytest.mark.django_db
METHODS = ("get", "post", "patch", "delete")
# A value for each kind of path parameter (none of them exists; fixed, so
# every xdist worker collects the same test ids).
PARAMETERS = {
    "shipment_id": str(uuid.UUID(int=1)),
    "webhook_id": str(uuid.UUID(int=2)),
    "key_id": str(uuid.UUID(int=3)),
    "delivery_id": f"msg_{uuid.UUID(int=4).hex}",
    "tracking_code": "FS-2345-6789-ABCD-EF",
    "name": "fragile",
    "status": "in_transit",
}


def routes() -> list[tuple[str, str, type]]:
    """Every API route and method that takes an authenticated caller."""
    found = []
    for pattern in api_urlpatterns:
        assert isinstance(pattern, URLPattern)
        view = pattern.callback.view_class  # type: ignore[attr-defined]
        if not view.authentication_classes:
            continue  # public: no credential is read
        path = str(pattern.pattern)
        for name, value in PARAMETERS.items():
            path = path.replace(f"<uuid:{name}>", value)
            path = path.replace(f"<str:{name}>", value)
            path = path.replace(f"<tag_name:{name}>", value)
            path = path.replace(f"<tracking_code:{name}>", value)
        assert "<" not in path, path
        found += [
            (method, f"/api/v1/{path}", view)
            for method in METHODS
            if hasattr(view, method)
        ]
    return found


ROUTES = routes()


def key_with(api, seller, scopes: list[str]) -> dict[str, str]:
    made = api.post(
        "/api/v1/api-keys/",
        {"name": "scoped", "scopes": scopes, "mode": "test"},
        format="json",
        **bearer(seller),
    )
    assert made.status_code == 201, made.content
    return {"HTTP_AUTHORIZATION": f"Api-Key {made.json()['key']}"}


def call(api, method: str, path: str, headers: dict[str, str]):
    return getattr(api, method)(path, {}, format="json", **headers)


def is_scope_refusal(response) -> bool:
    return response.status_code == 403 and response.json()["errors"][0]["code"] == (
        "insufficient_scope"
    )


@pytest.mark.parametrize(
    ("method", "path", "view"),
    ROUTES,
    ids=[f"{m.upper()} {p}" for m, p, _ in ROUTES],
)
def test_every_route_asks_its_scope_of_a_key(api, method, path, view):
    seller = seller_make()
    needed = required_scope(view, method.upper())
    if method.upper() in getattr(view, "logins_only", ()):
        refused = call(api, method, path, key_with(api, seller, list(SCOPES)))
        assert refused.status_code == 403, refused.content
        assert not is_scope_refusal(refused)
        return
    if needed is None:
        # No scope for it: a key, however scoped, is refused (a login's route,
        # or a partner's).
        refused = call(api, method, path, key_with(api, seller, list(SCOPES)))
        assert refused.status_code == 403, refused.content
        return
    others = [scope for scope in SCOPES if scope != needed]
    refused = call(api, method, path, key_with(api, seller, others))
    assert is_scope_refusal(refused), refused.content
    assert needed in refused.json()["errors"][0]["detail"]
    allowed = call(api, method, path, key_with(api, seller, [needed]))
    assert not is_scope_refusal(allowed), allowed.content
    assert allowed.status_code < 500


def test_the_schema_names_each_operations_scope(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    for method, path, view in ROUTES:
        needed = required_scope(view, method.upper())
        operation = schema["paths"]
        template = next(
            (
                name
                for name in operation
                if _matches(name, path.removeprefix("/api/v1/").rstrip("/"))
            ),
            None,
        )
        assert template is not None, path
        documented = operation[template][method].get("x-api-key-scope")
        if method.upper() in getattr(view, "logins_only", ()):
            assert documented is None
        else:
            assert documented == needed, (method, template)
            if needed:
                assert needed in operation[template][method]["description"]


def _matches(template: str, path: str) -> bool:
    parts = template.strip("/").split("/")[2:]  # after api/v1
    given = path.split("/")
    return len(parts) == len(given) and all(
        part == value or part.startswith("{")
        for part, value in zip(parts, given, strict=True)
    )


def test_a_read_only_key_reads_and_cannot_write(api):
    seller = seller_make()
    partner_make(zip_codes=("20095",))
    api.post("/api/v1/shipments/", SHIPMENT_BODY, format="json", **bearer(seller))
    made = api.post(
        "/api/v1/api-keys/",
        {"name": "dashboard", "scopes": ["shipments:read"]},
        format="json",
        **bearer(seller),
    ).json()
    assert made["scopes"] == ["shipments:read"]
    assert made["livemode"] is True
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {made['key']}"}
    assert len(api.get("/api/v1/shipments/", **headers).json()["results"]) == 1
    refused = api.post("/api/v1/shipments/", SHIPMENT_BODY, format="json", **headers)
    assert refused.status_code == 403
    assert refused.json()["errors"][0] == {
        "code": "insufficient_scope",
        "detail": "This API key lacks the scope shipments:write.",
        "attr": None,
    }
    assert api.get("/api/v1/webhooks/", **headers).status_code == 403
    assert api.get("/api/v1/me/", **headers).status_code == 403


def test_a_key_stops_at_its_expiry(api):
    seller = seller_make()
    soon = timezone.now() + timedelta(hours=1)
    made = api.post(
        "/api/v1/api-keys/",
        {"name": "contractor", "expires_at": soon.isoformat()},
        format="json",
        **bearer(seller),
    ).json()
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {made['key']}"}
    assert api.get("/api/v1/shipments/", **headers).status_code == 200
    ApiKey.objects.filter(pk=made["id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    expired = api.get("/api/v1/shipments/", **headers)
    assert expired.status_code == 401
    assert "expired" in expired.json()["errors"][0]["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "k", "expires_at": "2000-01-01T00:00:00Z"},
        {"name": "k", "expires_at": "2999-01-01T00:00:00Z"},
        {"name": "k", "scopes": []},
        {"name": "k", "scopes": ["shipments:delete"]},
        {"name": "k", "mode": "sandbox"},
    ],
)
def test_a_key_request_out_of_bounds_is_a_400_and_makes_nothing(api, body):
    seller = seller_make()
    answer = api.post("/api/v1/api-keys/", body, format="json", **bearer(seller))
    assert answer.status_code == 400, answer.content
    assert not ApiKey.objects.exists()


def test_keys_made_before_modes_and_scopes_keep_working(api):
    """A key of the old form (``fsk_<8>.<32>``, no mode) is a live key with
    every scope, as its row's defaults say."""
    from rest_framework_api_key.crypto import KeyGenerator

    seller = seller_make()
    partner_make(zip_codes=("20095",))
    generator = KeyGenerator(prefix_length=8, secret_key_length=32)
    prefix = "fsk_" + generator.get_prefix()
    key = f"{prefix}.{generator.get_secret_key()}"
    ApiKey.objects.create(
        seller=seller, name="old", prefix=prefix, hashed_key=generator.hash(key)
    )
    headers = {"HTTP_AUTHORIZATION": key}
    made = api.post("/api/v1/shipments/", SHIPMENT_BODY, format="json", **headers)
    assert made.status_code == 201
    assert made.json()["livemode"] is True
    listed = api.get("/api/v1/api-keys/", **headers).json()
    assert listed[0]["prefix"] == prefix
    assert listed[0]["scopes"] == sorted(SCOPES)
