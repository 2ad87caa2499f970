"""Two test runs on one machine share no test database and no Redis database."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from tests.servers import PROJECT_DIR

CLAIM = """
import os, sys
from tests.redis_db import claim
print(claim(sys.argv[1], "gw0"), flush=True)
sys.stdin.readline()  # hold the claim until told to end
"""


def dead_pid() -> int:
    """The pid of a process that has ended."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def claimant(url: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "FASTSHIP_TEST_REDIS"}
    return subprocess.Popen(
        [sys.executable, "-c", CLAIM, url],
        cwd=PROJECT_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


@pytest.mark.redis
def test_each_run_claims_a_redis_database_of_its_own_and_gives_it_back():
    import redis

    from tests.redis_db import CLAIM_KEY

    base = os.environ["REDIS_URL"]
    mine = int(urlsplit(base).path.strip("/"))
    registry = redis.Redis.from_url(base.rsplit("/", 1)[0] + "/0")
    # This run holds its own database; a claim left by a run that is gone
    # is taken over, and what that run left in it is emptied.
    # (claims are taken upwards from the database REDIS_URL names)
    free = next(
        n for n in range(mine + 1, 16) if not registry.exists(CLAIM_KEY.format(n))
    )
    dead = f"{os.uname().nodename}:{dead_pid()}"
    registry.set(CLAIM_KEY.format(free), dead)
    left = redis.Redis.from_url(f"{base.rsplit('/', 1)[0]}/{free}")
    left.set("left-by-a-killed-run", "1")
    first, second = claimant(base), claimant(base)
    try:
        urls = [p.stdout.readline().strip() for p in (first, second) if p.stdout]
        numbers = sorted(int(urlsplit(url).path.strip("/")) for url in urls)
        assert len(set(numbers)) == 2
        assert mine not in numbers
        assert free in numbers
        assert not left.exists("left-by-a-killed-run")
        for number in numbers:
            assert registry.get(CLAIM_KEY.format(number)) is not None
    finally:
        for process in (first, second):
            process.communicate("\n", timeout=30)
        if registry.get(CLAIM_KEY.format(free)) == dead.encode():  # not taken
            registry.delete(CLAIM_KEY.format(free))
    # Ended: both claims given back.
    for number in numbers:
        assert registry.get(CLAIM_KEY.format(number)) is None


@pytest.mark.postgres
def test_the_databases_a_killed_run_left_are_dropped_and_no_others():
    import psycopg

    sys.path.insert(0, str(PROJECT_DIR / "scripts"))
    from test_services import drop_abandoned_test_databases

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    gone = f"test_{name}_{dead_pid()}_gw1"
    running = f"test_{name}_{os.getpid()}_gw7"
    other = f"test_{name}x_{dead_pid()}"  # another project's name
    with psycopg.connect(admin, autocommit=True) as db:
        for database in (gone, running, other):
            db.execute(f'CREATE DATABASE "{database}"')
        try:
            drop_abandoned_test_databases(url)
            left = {row[0] for row in db.execute("SELECT datname FROM pg_database")}
            assert gone not in left
            assert {running, other} <= left
        finally:
            for database in (gone, running, other):
                db.execute(f'DROP DATABASE IF EXISTS "{database}"')


def test_the_files_run_first_exist():
    """A renamed slow file would silently go back to the end of a worker's run."""
    from tests.conftest import SLOW_FILES

    present = {path.name for path in (PROJECT_DIR / "tests").rglob("test_*.py")}
    assert set(SLOW_FILES) <= present


def test_every_test_has_a_node_id_of_its_own():
    """pytest-xdist tells tests apart by node id: two tests with one id would
    run as one (pytest 9 gave each of schemathesis's operations the same id)."""
    collected = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
        ],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    ids = [line for line in collected.stdout.splitlines() if "::" in line]
    assert len(ids) > 600, collected.stdout[-2000:] + collected.stderr[-2000:]
    repeated = sorted({node for node in ids if ids.count(node) > 1})
    assert repeated == []
