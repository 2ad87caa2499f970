"""Benchmark the shipping API's hot paths on one pinned gunicorn + uvicorn worker.

Run: make bench-api   (needs wrk, PostgreSQL and Redis on their local ports)
Against PostgreSQL with a few thousand shipments: a seller's list (page of
20), one shipment's detail, a create, the public tracking JSON, and a label
as PDF and as ZPL (rendered on every request: nothing caches them).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import psycopg

from bench.harness import (
    PRODUCTION,
    cpu_note,
    django_run,
    pinned_server,
    require_tools,
    run_wrk,
)
from bench.request_log import POSTGRES, REDIS_URL, prepare_database

DATABASE = "fastship_bench"
SEED = """
from decimal import Decimal
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken
from shipping.models import DeliveryPartner, Seller, Shipment, User
from shipping.services import accounts, shipments
seller = Seller.objects.filter(user__email="bench-seller@example.com").first()
if seller is None:
    seller = accounts.seller_create(name="Bench Seller", email="bench-seller@example.com",
        password="bench-password-123", address="1 Bench Road", zip_code="10115")
    partner = accounts.partner_create(name="Bench Partner", email="bench-partner@example.com",
        password="bench-password-123", serviceable_zip_codes=["20095"],
        max_handling_capacity=1_000_000)
    User.objects.filter(pk__in=[seller.pk, partner.pk]).update(email_verified_at=timezone.now())
    accounts.partners_approve(partner_ids=[partner.pk])
missing = {count} - Shipment.objects.filter(seller=seller).count()
for number in range(max(missing, 0)):
    shipments.shipment_create(seller=seller, content=f"parcel {{number}}",
        weight_kg=Decimal("1.0"), destination_zip_code="20095",
        recipient_email="r@example.org", tags=["standard"])
shipment = Shipment.objects.filter(seller=seller).latest("created_at")
print(RefreshToken.for_user(seller.user).access_token)
print(shipment.pk)
print(shipment.tracking_code)
"""
CREATE_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
wrk.body = '{{"content": "bench", "weight_kg": "1.0", "destination_zip_code": "20095", "recipient_email": "r@example.org"}}'
"""


Case = tuple[str, str, str | None, str | None]  # name, path, header, wrk script


def endpoint_cases(
    token: str, shipment_id: str, tracking_code: str, create_script: Path
) -> list[Case]:
    """The hot paths measured: (name, path, header, wrk Lua script)."""
    create_script.write_text(CREATE_LUA.format(token=token))
    auth = f"Authorization: Bearer {token}"
    return [
        ("seller list, page of 20", "/api/v1/shipments/?page_size=20", auth, None),
        ("shipment detail", f"/api/v1/shipments/{shipment_id}/", auth, None),
        ("public tracking JSON", f"/api/v1/track/{tracking_code}/", None, None),
        ("shipment create", "/api/v1/shipments/", None, str(create_script)),
    ]


def api_server_env(database_url: str) -> dict[str, str | None]:
    """Production settings on the bench's database and Redis, request logs on."""
    return {
        **PRODUCTION,
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "REQUEST_LOG_ENABLED": "1",
        # The bench measures cost per create, not the abuse limits.
        "THROTTLE_SHIPMENT_CREATE": "1000000/min",
        "NOTIFICATION_RECIPIENT_HOURLY_LIMIT": "1000000",
    }


def seed(database_url: str, count: int) -> tuple[str, str, str]:
    """Make sure ``count`` shipments exist; return (token, shipment id, tracking code)."""
    output = django_run(SEED.format(count=count), database_url).split()
    # Fresh tables have no planner statistics: without them PostgreSQL sorts
    # every row of a seller to find one page.
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("ANALYZE")
    return output[-3], output[-2], output[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--shipments", type=int, default=3000)
    options = parser.parse_args()
    require_tools()
    database_url = prepare_database()
    token, shipment_id, tracking_code = seed(database_url, options.shipments)
    print(
        f"shipping API benchmark: {options.shipments:,}+ shipments in PostgreSQL "
        f"({POSTGRES}/{DATABASE}), {options.seconds}s per endpoint, {cpu_note()}"
    )
    env = api_server_env(database_url)
    with tempfile.TemporaryDirectory() as folder:
        cases = endpoint_cases(
            token, shipment_id, tracking_code, Path(folder) / "create.lua"
        )
        label = f"/api/v1/shipments/{shipment_id}/label/"
        auth = f"Authorization: Bearer {token}"
        cases += [
            ("label, PDF", label, auth, None),
            ("label, ZPL", label + "?format=zpl", auth, None),
        ]
        with pinned_server("fastship.asgi:application", **env) as port:
            for name, path, header, lua in cases:
                result = run_wrk(
                    port, path, seconds=options.seconds, header=header, script=lua
                )
                print(
                    f"{name:<24} {result.requests_per_second:8,.0f} req/s   "
                    f"p50 {result.p50_ms:7.2f} ms   p99 {result.p99_ms:7.2f} ms   "
                    f"errors {result.errors}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
