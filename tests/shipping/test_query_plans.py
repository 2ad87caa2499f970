"""At a million shipments every list reads its index in order: no scan, no sort.

One seller owns 1,000,000 shipments (1.65 events each, 20 % tagged) and one
webhook endpoint 200,000 deliveries, inserted by the bench's bulk SQL. Each
list request is made through the API; every statement it sent is run again
under ``EXPLAIN ANALYZE``, and the plan must read the owner's index in the
list's order, touching about a page of rows, whatever the depth.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.scale_data import fill, owner_for
from fastship.admin_paging import EXACT_UP_TO
from fastship.api.pagination import cursor_encode, list_scope
from fastship.keyset import Position
from shipping.models import User
from tests.factories import bearer

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(900)]

SIZE = 1_000_000
DELIVERIES = 200_000
REQUEST_LOGS = 1_000_000
BIG_TABLES = {
    "shipping_shipment",
    "shipping_shipmentevent",
    "shipping_shipment_tags",
    "shipping_webhookdelivery",
    "requestlog_requestlog",
}


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def explained(sql: str) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        (document,) = cursor.fetchone()
    found = document if isinstance(document, list) else json.loads(document)
    return found[0]["Plan"]


def rows_read(plan: dict[str, Any], table: str) -> int:
    """Rows the plan's scans of ``table`` produced (index entries read)."""
    return sum(
        int(node["Actual Rows"] * node["Actual Loops"])
        + int(node.get("Rows Removed by Filter", 0))
        for node in nodes(plan)
        if node.get("Relation Name") == table
    )


def check_plans(
    client, path: str, user: User | None, *, page: int, rows: int | None = None
) -> list[str]:
    """Request ``path``; every list statement it ran uses an index in order and
    reads about a page of each big table; or, given ``rows``, reads at most
    that many rows of each (a capped count may scan the first rows it meets)."""
    headers = bearer(user) if user else {}
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, **headers)
    assert response.status_code == 200, (path, response.content[:300])
    checked = []
    for query in captured.captured_queries:
        sql = query["sql"]
        tables = set(re.findall(r'FROM "(\w+)"', sql)) & BIG_TABLES
        tables |= set(re.findall(r'JOIN "(\w+)"', sql)) & BIG_TABLES
        if not sql.startswith("SELECT") or not tables:
            continue
        plan = explained(sql)
        kinds = {node["Node Type"] for node in nodes(plan)}
        scanned = {
            node.get("Relation Name")
            for node in nodes(plan)
            if node["Node Type"] == "Seq Scan"
        }
        if rows is None:  # a list: its index, in order
            assert not scanned & BIG_TABLES, (path, sql, plan)
            assert not kinds & {"Sort", "Incremental Sort"}, (path, sql, plan)
        for table in tables:
            # A page and its look-ahead row, a few tags per row: never the owner's
            # whole history.
            limit = rows if rows is not None else 20 * page + 50
            assert rows_read(plan, table) <= limit, (path, table, plan)
        checked.append(sql)
    assert checked, f"{path} ran no list statement"
    return checked


@pytest.fixture
def million(seeded_tags) -> dict[str, Any]:
    """One seller and partner with a million shipments; an endpoint's deliveries."""
    raw = connection.connection
    assert raw is not None
    raw.execute("SET statement_timeout = 0")  # bulk inserts; reset below
    owner = owner_for(raw, SIZE)
    fill(raw, owner)
    seller = User.objects.get(pk=owner.seller_id)
    endpoint = raw.execute(
        """
        INSERT INTO shipping_webhookendpoint (id, seller_id, url, events, secret,
            previous_secret, created_at)
        VALUES (gen_random_uuid(), %s, 'https://shop.example/hooks', '[]', 'x', '',
            now()) RETURNING id
        """,
        [owner.seller_id],
    ).fetchone()[0]
    raw.execute(
        """
        INSERT INTO shipping_webhookdelivery (id, endpoint_id, event_type, body, state,
            attempts, last_error, created_at, next_attempt_at)
        SELECT gen_random_uuid(), %s, 'shipment.created', '{}', 'delivered', 1, '',
            now() - make_interval(secs => i), now() - make_interval(secs => i)
        FROM generate_series(1, %s) AS i
        """,
        [endpoint, DELIVERIES],
    )
    # A million request logs over the last day (their partitions exist).
    raw.execute(
        """
        INSERT INTO requestlog_requestlog (record_id, request_id, started_at, method,
            path, query_string, status_code, duration_ms, user_role, user_agent,
            credential)
        SELECT gen_random_uuid(), md5(i::text), now() - make_interval(secs => i * 0.08),
            (ARRAY['GET','GET','GET','POST','PATCH'])[1 + i %% 5],
            (ARRAY['/api/v1/shipments/', '/api/v1/track/FS-X/', '/api/v1/me/'])
                [1 + i %% 3],
            '', (ARRAY[200,200,200,201,404,400,500])[1 + i %% 7], 3.5, 'seller', '', ''
        FROM generate_series(1, %s) AS i
        """,
        [REQUEST_LOGS],
    )
    raw.execute("VACUUM ANALYZE")
    raw.execute("RESET statement_timeout")
    return {
        "seller": seller,
        "partner": User.objects.get(pk=owner.partner_id),
        "endpoint": endpoint,
    }


@pytest.mark.django_db(transaction=True)
def test_every_list_reads_its_index_in_order_at_a_million(
    client, admin_client, million
):
    """The first, a deep, the last page; each filter; timelines; delivery logs;
    and the admin's change lists (one dataset: it takes a minute to build)."""
    seller, partner = million["seller"], million["partner"]
    deep = connection.cursor()
    deep.execute(
        "SELECT created_at, id FROM shipping_shipment WHERE seller_id = %s "
        "ORDER BY created_at DESC, id DESC OFFSET 40000 LIMIT 1",
        [seller.pk],
    )
    at, key = deep.fetchone()
    cursor = cursor_encode(
        Position(at, str(key)), False, scope=list_scope("shipments:seller", {})
    )
    now = timezone.now()
    an_hour_ago = (now - timedelta(hours=1)).isoformat()
    # A quarter in the middle of the year of history.
    quarter = f"created_after={now - timedelta(days=200):%Y-%m-%dT%H:%M:%SZ}"
    quarter += f"&created_before={now - timedelta(days=110):%Y-%m-%dT%H:%M:%SZ}"
    cases = [
        ("/api/v1/shipments/?page_size=20", seller, 20),
        ("/api/v1/shipments/?page_size=50", seller, 50),
        ("/api/v1/shipments/?page_size=50", partner, 50),
        (f"/api/v1/shipments/?page_size=20&cursor={cursor}", seller, 20),
        ("/api/v1/shipments/?status=in_transit&page_size=20", seller, 20),
        ("/api/v1/shipments/?status=placed&page_size=20", partner, 20),
        (f"/api/v1/shipments/?{quarter}&page_size=20", seller, 20),
        (f"/api/v1/shipments/?updated_since={an_hour_ago}&page_size=20", seller, 20),
        (f"/api/v1/shipments/?updated_since={an_hour_ago}&page_size=20", partner, 20),
    ]
    for path, user, page in cases:
        check_plans(client, path.replace("+00:00", "Z"), user, page=page)
    # The last page (the oldest shipments) and the page before it.
    first = client.get("/api/v1/shipments/?page_size=50", **bearer(seller))
    last = re.search(r'<([^>]+)>; rel="last"', first["Link"])[1]  # type: ignore[index]
    check_plans(client, last, seller, page=50)
    oldest = client.get(last, **bearer(seller)).json()
    assert oldest["results"][-1]["content"] == f"parcel {SIZE}"
    check_plans(client, oldest["previous"], seller, page=50)
    # A timeline, and an endpoint's delivery log at 200,000 deliveries.
    deep.execute(
        "SELECT shipment_id FROM shipping_shipmentevent GROUP BY shipment_id "
        "HAVING count(*) > 1 LIMIT 1"
    )
    (shipment_id,) = deep.fetchone()
    check_plans(
        client, f"/api/v1/shipments/{shipment_id}/events/?page_size=20", seller, page=20
    )
    log = f"/api/v1/webhooks/{million['endpoint']}/deliveries/?page_size=50"
    check_plans(client, log, seller, page=50)
    second = client.get(log, **bearer(seller)).json()["next"]
    check_plans(client, second, seller, page=50)
    # The deprecated ?page= counts no further than 10,001 rows.
    with CaptureQueriesContext(connection) as captured:
        answer = client.get("/api/v1/shipments/?page=1", **bearer(seller)).json()
    assert answer["count"] == 10_000
    assert answer["count_capped"] is True
    (count_sql,) = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"]]
    assert rows_read(explained(count_sql), "shipping_shipment") <= 10_001
    # The admin: no full count, no scan for filter choices, search on an index.
    capped = EXACT_UP_TO + 1 + 500  # the capped count, then a page
    for path in (
        "/admin/shipping/shipment/",
        "/admin/shipping/shipment/?status__exact=in_transit",
        "/admin/shipping/shipment/?q=recipient-17@example.org",
        "/admin/requestlog/requestlog/",
        "/admin/requestlog/requestlog/?status=4xx",
        "/admin/requestlog/requestlog/?method=PATCH",
        "/admin/requestlog/requestlog/?q=/api/v1/track/",
        f"/admin/requestlog/requestlog/?q={'a' * 32}",
        "/admin/shipping/webhookdelivery/",
        "/admin/shipping/webhookdelivery/?state__exact=delivered",
    ):
        check_plans(admin_client, path, None, page=100, rows=capped)
    # The total shown is the planner's estimate; pages reach the first 10,000.
    page = admin_client.get("/admin/requestlog/requestlog/").content.decode()
    shown = int(re.search(r"(\d+) request logs", page)[1])  # type: ignore[index]
    assert 900_000 <= shown <= 1_100_000
    last = EXACT_UP_TO // 100
    assert (
        admin_client.get(f"/admin/requestlog/requestlog/?p={last}").status_code == 200
    )
    beyond = admin_client.get(f"/admin/requestlog/requestlog/?p={last + 1}")
    assert beyond.status_code == 302  # Django's "invalid page" redirect
    # The admin home's 14-day charts: each count reads no more than the rows of
    # its 14 days (an index on its time column), never a table's whole history.
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert admin_client.get("/admin/").status_code == 200
    charts = [q["sql"] for q in captured.captured_queries if "GROUP BY" in q["sql"]]
    assert len(charts) == 7, charts
    timed = {
        "shipping_shipment": "created_at",
        "shipping_shipmentevent": "created_at",
        "shipping_webhookdelivery": "created_at",
        "requestlog_requestlog": "started_at",
    }
    for sql in charts:
        tables = set(re.findall(r'FROM "(\w+)"', sql)) & BIG_TABLES
        if not tables:  # mails: not a big table in this dataset
            continue
        (table,) = tables
        deep.execute(
            f"SELECT count(*) FROM {table} WHERE {timed[table]} >= %s",
            [now - timedelta(days=15)],
        )
        (recent,) = deep.fetchone()
        assert rows_read(explained(sql), table) <= recent + 100, (sql, recent)
