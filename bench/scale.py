"""Cost per request as a seller's data grows: 20, 100,000 and 1,000,000 shipments.

Run: make bench-scale   (wrk, PostgreSQL, Redis; BENCH_ARGS="--sizes 20,100000,
1000000,10000000 --rounds 3 --seconds 10" for other sizes; 10 M takes about ten
minutes to build and 15 GB of disk)

One database holds a seller (and the partner carrying its parcels) per size,
built by bulk SQL (bench/scale_data.py, a minute for a million). The API runs
as in bench/compare_api.py: production settings, one gunicorn + uvicorn worker
pinned to CPU 0, wrk on CPU 1 with 32 connections; the sizes alternate within
each round so a busy neighbour costs them alike, and each figure is the median
over the rounds. Per endpoint and size it prints the API worker's CPU and the
PostgreSQL backends' CPU per request (from /proc: steadier than requests per
second on a shared machine), requests per second, p50/p99, and each figure
against the smallest size. Then the request-log retention: a day of 1,000,000
records is dropped while another connection keeps inserting.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench import scale_data
from bench.harness import (
    cpu_note,
    django_run,
    median,
    pinned_process,
    require_tools,
    run_wrk,
    worker_cpu_seconds,
)
from bench.request_log import POSTGRES, prepare_database
from bench.shipping_api import api_server_env

DATABASE = "fastship_scale"
TARGET = 1.3
# A recipient of its own per create: the per-recipient hourly mail limit counts
# that recipient's mail of the hour, which must not grow during the bench.
CREATE_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
request = function()
  local body = '{{"content": "bench", "weight_kg": "1.0", "destination_zip_code": "{zip}", '
    .. '"recipient_email": "r' .. math.random(1, 1000000000) .. '@example.org"}}'
  return wrk.format(nil, nil, nil, body)
end
"""
# Mints tokens and cursors with the server's secrets, for each dataset.
PREPARE = """
import json, sys
from rest_framework_simplejwt.tokens import RefreshToken
from fastship.api.pagination import cursor_encode, list_scope
from fastship.keyset import Position
from shipping.models import Shipment, User
out = {}
for size, seller_id in json.loads(sys.argv[1]).items():
    user = User.objects.get(pk=seller_id)
    # The dataset's own rows: the bench's creates are trimmed between rounds.
    mine = (
        Shipment.objects.filter(seller_id=seller_id)
        .exclude(content="bench")
        .order_by("-created_at", "-id")
    )
    depth = min(40_000, int(size) // 2)
    deep = mine.values_list("created_at", "id")[depth]
    newest = mine.values_list("id", "tracking_code")[0]
    # A poll that finds a page's worth: since the 200th most recent change.
    changed = mine.order_by("-updated_at").values_list("updated_at", flat=True)
    since = changed[min(int(size) - 1, 200)]
    scope = list_scope("shipments:seller", {})
    out[size] = {
        "token": str(RefreshToken.for_user(user).access_token),
        "deep": cursor_encode(Position(deep[0], str(deep[1])), False, scope=scope),
        "last": cursor_encode(None, True, scope=scope),
        "shipment": str(newest[0]),
        "code": newest[1],
        "since": since.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "depth": depth,
    }
print(json.dumps(out))
"""


def rows_answered(port: int, path: str, header: str | None) -> int:
    """How many items the endpoint's answer holds (1 for an object)."""
    import json
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if header:
        name, _, value = header.partition(": ")
        request.add_header(name, value)
    with urllib.request.urlopen(request, timeout=30) as answer:
        body = json.load(answer)
    return len(body["results"]) if isinstance(body, dict) and "results" in body else 1


@dataclass
class Sample:
    api_ms: float
    db_ms: float
    rps: float
    p50: float
    p99: float
    errors: int
    rows: int


def backend_cpu_seconds(probe: psycopg.Connection) -> dict[int, float]:
    """CPU seconds so far of every PostgreSQL backend serving the bench database
    (but the probe's own)."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [
        row[0]
        for row in probe.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_backend_pid()",
            [DATABASE],
        )
    ]
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return used


def cases(
    size: int, prepared: dict, script: Path
) -> list[tuple[str, str, str | None, str | None]]:
    auth = f"Authorization: Bearer {prepared['token']}"
    script.write_text(CREATE_LUA.format(token=prepared["token"], zip=f"S{size}"[:10]))
    base = "/api/v1/shipments/"
    return [
        ("list, first page of 20", f"{base}?page_size=20", auth, None),
        ("list, first page of 50", f"{base}?page_size=50", auth, None),
        (
            "list, deep page by cursor",
            f"{base}?page_size=20&cursor={prepared['deep']}",
            auth,
            None,
        ),
        (
            "list, last page of 50",
            f"{base}?page_size=50&cursor={prepared['last']}",
            auth,
            None,
        ),
        ("list, in transit", f"{base}?page_size=20&status=in_transit", auth, None),
        (
            "updated_since poll",
            f"{base}?page_size=20&updated_since={prepared['since']}",
            auth,
            None,
        ),
        ("detail", f"{base}{prepared['shipment']}/", auth, None),
        ("tracking JSON", f"/api/v1/track/{prepared['code']}/", None, None),
        ("create", base, None, str(script)),
    ]


def measure(
    url: str,
    all_cases: dict[int, list],
    *,
    seconds: int,
    order: list[int],
    owners: dict[int, scale_data.Owner],
) -> dict[tuple[int, str], Sample]:
    results = {}
    with psycopg.connect(url, autocommit=True) as connection:
        for owner in owners.values():  # the last round's creates
            scale_data.trim(connection, owner)
        connection.execute("VACUUM ANALYZE shipping_shipment")
    env = api_server_env(url)
    with (
        pinned_process("fastship.asgi:application", env=env) as (port, master),
        psycopg.connect(url, autocommit=True) as probe,
    ):
        for size in order:
            for name, path, header, lua in all_cases[size]:
                rows = 1 if lua else rows_answered(port, path, header)
                run_wrk(port, path, seconds=1, header=header, script=lua)
                api_before = worker_cpu_seconds(master.pid)
                db_before = backend_cpu_seconds(probe)
                result = run_wrk(port, path, seconds=seconds, header=header, script=lua)
                api_used = worker_cpu_seconds(master.pid) - api_before
                db_after = backend_cpu_seconds(probe)
                db_used = sum(db_after[p] - db_before.get(p, 0.0) for p in db_after)
                requests = max(result.requests, 1)
                results[(size, name)] = Sample(
                    api_ms=1000 * api_used / requests,
                    db_ms=1000 * db_used / requests,
                    rps=result.requests_per_second,
                    p50=result.p50_ms,
                    p99=result.p99_ms,
                    errors=result.errors,
                    rows=rows,
                )
    return results


def retention(url: str, rows: int) -> str:
    """Drop a day of ``rows`` request logs while inserts go on; the figures."""
    days = 30
    old_day = f"(now() - interval '{days + 2} days')"
    with psycopg.connect(url, autocommit=True) as connection:
        django_run(
            "from datetime import timedelta\nfrom django.utils import timezone\n"
            "from fastship.requestlog.partitions import partitions_ensure\n"
            f"partitions_ensure(days=[(timezone.now() - timedelta(days={days + 2})).date()])",
            url,
        )
        connection.execute("SET statement_timeout = 0")
        connection.execute(
            f"""
            INSERT INTO requestlog_requestlog (record_id, request_id, started_at, method,
                path, query_string, status_code, duration_ms, user_role, user_agent,
                credential)
            SELECT gen_random_uuid(), md5(i::text),
                date_trunc('day', {old_day}) + make_interval(secs => i * 86399.0 / %s),
                'GET', '/api/v1/shipments/', '', 200, 3.5, 'seller', '', ''
            FROM generate_series(1, %s) AS i
            """,
            [rows, rows],
        )
        connection.execute("ANALYZE requestlog_requestlog")
    latencies: list[float] = []
    stop = threading.Event()

    def insert_meanwhile() -> None:
        with psycopg.connect(url, autocommit=True) as writer:
            while not stop.is_set():
                started = time.perf_counter()
                writer.execute(
                    "INSERT INTO requestlog_requestlog (record_id, request_id, started_at,"
                    " method, path, query_string, status_code, duration_ms, user_role,"
                    " user_agent, credential) VALUES (gen_random_uuid(), 'bench', now(),"
                    " 'GET', '/', '', 200, 1, '', '', '')"
                )
                latencies.append(time.perf_counter() - started)
                time.sleep(0.002)

    writer = threading.Thread(target=insert_meanwhile)
    writer.start()
    time.sleep(0.5)
    mark = len(latencies)
    output = django_run(
        "import time\nfrom fastship.requestlog.pruning import request_logs_prune\n"
        f"started = time.perf_counter(); n = request_logs_prune(older_than_days={days})\n"
        "print(n, time.perf_counter() - started)",
        url,
    )
    time.sleep(0.5)
    stop.set()
    writer.join()
    dropped, took = output.split()
    during = latencies[mark:]
    return (
        f"request-log retention: dropped {int(dropped):,} records (one day) in "
        f"{float(took):.3f} s; {len(during)} inserts meanwhile, slowest "
        f"{1000 * max(during):.1f} ms, median {1000 * median(during):.2f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20,100000,1000000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--retention-rows", type=int, default=1_000_000)
    options = parser.parse_args()
    require_tools()
    sizes = [int(size) for size in options.sizes.split(",")]
    url = prepare_database(DATABASE)
    print(f"building datasets in {POSTGRES}/{DATABASE} (once; reused after)")
    started = time.monotonic()
    owners = scale_data.build(url, sizes)
    print(f"  ready in {time.monotonic() - started:.0f} s")
    sellers = json.dumps({str(s): o.seller_id for s, o in owners.items()})

    def prepare() -> dict:
        """Fresh tokens (they live 15 minutes), the cursors, the ids."""
        output = django_run(PREPARE, url, sellers)
        return dict(json.loads(output.strip().splitlines()[-1]))

    prepared = prepare()
    print(
        f"\nAPI cost by a seller's shipments: {options.rounds} rounds of "
        f"{options.seconds}s per endpoint and size, 32 connections; {cpu_note()}; "
        f"deep page = {prepared[str(sizes[-1])]['depth']:,} rows in"
    )
    rounds = []
    with tempfile.TemporaryDirectory() as folder:
        for n in range(options.rounds):
            prepared = prepare() if n else prepared
            all_cases = {
                size: cases(size, prepared[str(size)], Path(folder) / f"c{size}.lua")
                for size in sizes
            }
            # The sizes take turns at going first (a neighbour's load, caches).
            order = sizes[n % len(sizes) :] + sizes[: n % len(sizes)]
            rounds.append(
                measure(
                    url,
                    all_cases,
                    seconds=options.seconds,
                    order=order,
                    owners=owners,
                )
            )
    names = [name for name, *_ in all_cases[sizes[0]]]
    largest = sizes[-1]

    def figure(size: int, name: str, attribute: str) -> float:
        return median([getattr(r[(size, name)], attribute) for r in rounds])

    def reference(name: str) -> int:
        """The smallest size whose answer holds as many items as the largest's
        (20 shipments cannot fill a page of 50): cost per page, not per item."""
        wanted = rounds[0][(largest, name)].rows
        return next(s for s in sizes if rounds[0][(s, name)].rows == wanted)

    print(
        "\n| endpoint | shipments | items | API CPU ms/req | PostgreSQL CPU ms/req "
        "| req/s | p50 ms | p99 ms | against | API x | PostgreSQL x | p99 x | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    worst = 0.0
    for name in names:
        base = reference(name)
        api0, db0, p990 = (figure(base, name, a) for a in ("api_ms", "db_ms", "p99"))
        for size in sizes:
            api, db, p99 = (figure(size, name, a) for a in ("api_ms", "db_ms", "p99"))
            ratios = (api / api0, db / max(db0, 1e-9), p99 / p990)
            if size == largest:
                worst = max(worst, *ratios)
            errors = sum(r[(size, name)].errors for r in rounds)
            shown = " | ".join(f"{ratio:.2f}" for ratio in ratios)
            if size < base:  # its answer holds fewer items
                shown = "- | - | -"
            print(
                f"| {name} | {size:,} | {rounds[0][(size, name)].rows} | {api:.2f} "
                f"| {db:.2f} | {figure(size, name, 'rps'):,.0f} "
                f"| {figure(size, name, 'p50'):.1f} | {p99:.1f} | {base:,} | {shown} "
                f"| {errors} |"
            )
    verdict = "within" if worst <= TARGET else "OVER"
    print(
        f"\nlargest growth at {largest:,} against the reference: {worst:.2f}x "
        f"({verdict} the {TARGET}x target)"
    )
    print(retention(url, options.retention_rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
