"""Compare the API's CPU per request: a baseline commit against this tree.

Run: make bench-compare BASELINE=<commit>   (wrk, PostgreSQL, Redis)

Both trees are served the same way (gunicorn, one uvicorn worker pinned to
CPU 0, production settings, the same database and Redis) and loaded by wrk
from CPU 1 with 32 connections. The rounds alternate baseline, new, baseline,
new... so a busy neighbour costs both alike; each figure is the median over the
rounds. The server's own CPU time (user + system of its worker, from /proc)
divided by the requests it answered is the figure to compare: steadier than
requests per second on a shared machine. ``--sync`` adds this tree under
gunicorn's sync worker (the cost of the ASGI path).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.harness import (
    cpu_note,
    median,
    pinned_process,
    require_tools,
    run_wrk,
    worker_cpu_seconds,
)
from bench.request_log import prepare_database
from bench.shipping_api import Case, api_server_env, endpoint_cases, seed
from tests.servers import PROJECT_DIR

# Both trees under the same worker class (the image's, with uvloop and
# httptools): --baseline-worker-class serves the baseline another way (e.g.
# uvicorn_worker.UvicornH11Worker, as the API ran before those were in).


@dataclass
class Sample:
    cpu_ms: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def baseline_tree(commit: str) -> Path:
    """A git worktree of ``commit`` (reused while it is the same commit)."""
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", f"{commit}^{{commit}}"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tree = Path(tempfile.gettempdir()) / f"fastship-baseline-{sha[:12]}"
    if not (tree / "manage.py").exists():
        subprocess.run(
            ["git", "worktree", "add", "--detach", "--force", str(tree), sha],
            cwd=PROJECT_DIR,
            check=True,
            capture_output=True,
        )
    return tree


def measure(
    tree: Path,
    cases: list[Case],
    *,
    seconds: int,
    env: dict[str, str | None],
    asgi: bool = True,
    worker_class: str | None = None,
) -> dict[str, Sample]:
    app = "fastship.asgi:application" if asgi else "fastship.wsgi:application"
    results = {}
    with pinned_process(
        app, env=env, tree=tree, asgi=asgi, worker_class=worker_class
    ) as (port, master):
        for name, path, header, lua in cases:
            # A short warm-up: imports, the pool, the first queries' plans.
            run_wrk(port, path, seconds=1, header=header, script=lua)
            before = worker_cpu_seconds(master.pid)
            result = run_wrk(port, path, seconds=seconds, header=header, script=lua)
            used = worker_cpu_seconds(master.pid) - before
            results[name] = Sample(
                cpu_ms=1000 * used / max(result.requests, 1),
                rps=result.requests_per_second,
                p50_ms=result.p50_ms,
                p99_ms=result.p99_ms,
                errors=result.errors,
            )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="commit to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--shipments", type=int, default=3000)
    parser.add_argument("--sync", action="store_true", help="also gunicorn sync")
    parser.add_argument("--baseline-worker-class", default=None)
    options = parser.parse_args()
    require_tools()
    database_url = prepare_database()
    token, shipment_id, tracking_code = seed(database_url, options.shipments)
    env = api_server_env(database_url)
    trees = {"baseline": baseline_tree(options.baseline), "new": PROJECT_DIR}
    print(
        f"API CPU per request: {options.baseline} vs this tree, "
        f"{options.rounds} alternating rounds of {options.seconds}s per endpoint, "
        f"32 connections, {options.shipments:,}+ shipments; {cpu_note()}"
    )
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "create.lua"
        cases = [
            *endpoint_cases(token, shipment_id, tracking_code, script),
            ("/health", "/health", None, None),
        ]
        runs: dict[str, list[dict[str, Sample]]] = {"baseline": [], "new": []}
        if options.sync:
            runs["new (sync worker)"] = []
        for _ in range(options.rounds):
            for label, tree in trees.items():
                runs[label].append(
                    measure(
                        tree,
                        cases,
                        seconds=options.seconds,
                        env=env,
                        worker_class=(
                            options.baseline_worker_class
                            if label == "baseline"
                            else None
                        ),
                    )
                )
            if options.sync:
                runs["new (sync worker)"].append(
                    measure(
                        PROJECT_DIR, cases, seconds=options.seconds, env=env, asgi=False
                    )
                )
    print(
        "\n| endpoint | run | CPU ms/req | new/baseline | req/s | p50 ms | p99 ms "
        "| errors |\n|---|---|---|---|---|---|---|---|"
    )
    for name, *_ in cases:
        base_cpu = median([r[name].cpu_ms for r in runs["baseline"]])
        for label, rounds in runs.items():
            cpu = median([r[name].cpu_ms for r in rounds])
            print(
                f"| {name} | {label} | {cpu:.2f} | {cpu / base_cpu:.2f} "
                f"| {median([r[name].rps for r in rounds]):,.0f} "
                f"| {median([r[name].p50_ms for r in rounds]):.1f} "
                f"| {median([r[name].p99_ms for r in rounds]):.1f} "
                f"| {sum(r[name].errors for r in rounds)} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
