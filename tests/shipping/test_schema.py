"""The OpenAPI schema is valid, and the API never contradicts it (schemathesis)."""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from openapi_spec_validator import validate
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from fastship.wsgi import application


@pytest.mark.django_db
def test_schema_is_valid_openapi(client):
    """/api/v1/schema/ serves an OpenAPI 3 document that validates."""
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    document = response.json()
    validate(document)
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in (
        "/api/v1/shipments/",
        "/api/v1/auth/token/",
        "/api/v1/track/{tracking_code}/",
    ):
        assert path in paths
    assert "jwtAuth" in document["components"]["securitySchemes"]
    # An API key is offered only where a seller's key works.

    def schemes(path: str, method: str) -> set[str]:
        return {name for r in paths[path][method]["security"] for name in r}

    assert schemes("/api/v1/shipments/", "get") == {"jwtAuth", "apiKey"}
    assert schemes("/api/v1/shipments/", "post") == {"jwtAuth", "apiKey"}
    assert schemes("/api/v1/api-keys/", "get") == {"jwtAuth", "apiKey"}
    assert schemes("/api/v1/api-keys/", "post") == {"jwtAuth"}
    assert schemes("/api/v1/shipments/{shipment_id}/", "patch") == {"jwtAuth"}
    assert schemes("/api/v1/shipments/{shipment_id}/", "get") == {"jwtAuth", "apiKey"}
    # error responses (drf-standardized-errors) are documented, 409 included
    create = paths["/api/v1/shipments/"]["post"]["responses"]
    assert {"201", "400", "401", "403"} <= set(create)


@pytest.mark.django_db
def test_swagger_ui_is_served_without_a_cdn(client):
    """/docs serves Swagger UI from our own static files."""
    response = client.get("/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    assert "jsdelivr" not in html.lower()


schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
# Examples per operation: 15 in CI; SCHEMATHESIS_EXAMPLES=200 for a long run.
GENERATED = hypothesis_settings(
    max_examples=int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@GENERATED
def test_api_conforms_to_its_schema(case):
    """Generated requests: no 500, and no response that contradicts the schema."""
    # A schema-valid but unknown token is rightly refused: that check judges
    # business rules, not whether a response contradicts the schema.
    call_and_check(case, excluded=[positive_data_acceptance])


def call_and_check(case, *, excluded):
    response = case.call()
    assert response.status_code < 500, response.text
    case.validate_response(response, excluded_checks=excluded)
    return response


@pytest.fixture
def seller_headers() -> dict[str, str]:
    """A verified seller with one shipment, and a partner serving its zip code."""
    from rest_framework_simplejwt.tokens import RefreshToken

    from tests.factories import partner_make, seller_make, shipment_make

    seller = seller_make()
    partner_make(zip_codes=("20095", "10115"), capacity=1000)
    shipment_make(seller=seller)
    token = RefreshToken.for_user(seller.user).access_token
    return {"Authorization": f"Bearer {token}"}


def generated_without_auth(case) -> bool:
    """True for a negative case made by leaving out or breaking Authorization."""
    data = case.meta.phase.data if case.meta is not None else None
    names = {getattr(data, "parameter", None)}
    names |= {mutation.parameter for mutation in getattr(data, "mutations", ())}
    return "Authorization" in names


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@GENERATED
def test_api_conforms_to_its_schema_for_a_seller(case, seller_headers):
    """The same with a seller's token: the answers behind the 401s.

    The token goes on every case but those generated to lack it. Only
    ``ignored_auth`` is left to the anonymous run above: it re-sends the case
    with broken credentials, and the token added here would mend them.
    """
    headers = None if generated_without_auth(case) else seller_headers
    response = case.call(headers=headers)
    assert response.status_code < 500, response.text
    case.validate_response(
        response, excluded_checks=[positive_data_acceptance, ignored_auth]
    )
    if (case.method, case.path) == ("GET", "/api/v1/me/") and headers:
        assert response.status_code == 200, "the seller's token was not used"
