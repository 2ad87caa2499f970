"""Shared fixtures; tests needing PostgreSQL or Redis skip (fail in CI) without them."""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings

if TYPE_CHECKING:
    from tests.servers import PrivateRedis

REQUIRE_SERVICES = os.environ.get("FASTSHIP_REQUIRE_SERVICES") == "1"


def _missing_service(item: pytest.Item) -> str | None:
    if item.get_closest_marker("postgres") and (
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql"
    ):
        return "needs PostgreSQL: set DATABASE_URL or start it on 127.0.0.1:5432"
    if item.get_closest_marker("redis") and settings.FASTSHIP_REDIS is None:
        return "needs Redis: set REDIS_URL or start it on 127.0.0.1:6379"
    if item.get_closest_marker("browser") and not (
        shutil.which("chromium") and shutil.which("chromedriver")
    ):
        return "needs Chromium: apt-get install chromium chromium-driver"
    return None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    """A run stopped by SIGTERM or SIGHUP (a CI timeout, a closed terminal)
    unwinds like Ctrl-C: every server, Redis and PostgreSQL cluster a test
    started is stopped by its context manager, none is left running."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    config.pluginmanager.register(SlowFilesFirst(), "fastship-slow-files-first")


# The files that take longest go first, out of pytest-django's order (plain
# tests, then transactional ones): under pytest-xdist (`make test` runs two
# processes, a file each at a time) neither is then left running one of them
# alone at the end. A transactional test's flush takes the data migration's
# tags; they are seeded again at once (_tags_after_a_flush), so the plain
# tests after it still see them. The order inside each file is kept.
SLOW_FILES = (
    "test_query_plans.py",
    "test_worker_faults.py",
    "test_deploy_script.py",
    "test_webhooks.py",
    "test_container_smoke.py",
    "test_worker_kills.py",
    "test_schema.py",
)


class SlowFilesFirst:
    @pytest.hookimpl(trylast=True)  # after pytest-django has ordered the items
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        rank = {name: n for n, name in enumerate(SLOW_FILES)}
        items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def pytest_runtest_setup(item: pytest.Item) -> None:
    reason = _missing_service(item)
    if reason is None:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (FASTSHIP_REQUIRE_SERVICES=1 forbids skipping)")
    pytest.skip(reason)


@pytest.fixture
def redis_server(settings: Any) -> Iterator[PrivateRedis]:
    """A Redis of the test's own, as the shared client and the hand-over's."""
    from fastship.env import RedisConfig
    from fastship.jobs import background_enqueuer
    from fastship.redis import reset_shared_client
    from tests.servers import private_redis

    with private_redis() as server:
        settings.FASTSHIP_REDIS = RedisConfig(host="127.0.0.1", port=server.port)
        reset_shared_client()
        background_enqueuer._init_state()
        yield server
        background_enqueuer.drain()
    background_enqueuer._init_state()
    reset_shared_client()


@pytest.fixture
def shared_redis() -> Iterator[object]:
    """Yield the project's shared Redis client, rebuilt fresh for the test."""
    from fastship.redis import get_redis, reset_shared_client

    reset_shared_client()
    yield get_redis()
    reset_shared_client()


@pytest.fixture(scope="session", autouse=True)
def _flush_request_logs_before_exit() -> Iterator[None]:
    """Ship buffered request logs while pytest's output streams are still open."""
    yield
    from fastship.requestlog.shipper import reset_shipper

    reset_shipper()


def _seed_tags() -> None:
    import importlib

    from shipping.models import Tag

    migration = importlib.import_module("shipping.migrations.0003_seed_tags")
    for name, instruction in migration.TAGS.items():
        Tag.objects.update_or_create(name=name, defaults={"instruction": instruction})


def _tags_after_a_flush(sender: object, **kwargs: object) -> None:
    """A transactional test's flush ends with post_migrate: seed the tags again."""
    if getattr(sender, "label", None) == "shipping" and kwargs.get("plan") is None:
        _seed_tags()


@pytest.fixture(scope="session", autouse=True)
def _reseed_tags_after_flushes() -> Iterator[None]:
    from django.db.models.signals import post_migrate

    post_migrate.connect(_tags_after_a_flush, dispatch_uid="fastship-test-tags")
    yield
    post_migrate.disconnect(dispatch_uid="fastship-test-tags")


@pytest.fixture
def seeded_tags() -> None:
    """The tags of the data migration, whatever ran before."""
    _seed_tags()


# Where the browser tests leave screenshots for a person to look at: one
# folder per test, listed at the end of the run.
SCREENSHOTS = Path(
    os.environ.get("BROWSER_SCREENSHOTS", Path(__file__).parents[1] / "screenshots")
)
SCREENSHOT_FOLDERS = pytest.StashKey[list[Path]]()


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Path:
    """This test's screenshot folder, emptied first; its path is printed at the end."""
    folder = SCREENSHOTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    request.config.stash.setdefault(SCREENSHOT_FOLDERS, []).append(folder)
    return folder


def pytest_terminal_summary(terminalreporter, config) -> None:
    """Say where the browser tests left their screenshots for review."""
    folders = config.stash.get(SCREENSHOT_FOLDERS, [])
    if folders:
        terminalreporter.write_sep("-", "screenshots for review")
        for folder in folders:
            shots = ", ".join(sorted(p.name for p in folder.glob("*.png")))
            terminalreporter.write_line(f"{folder}: {shots}")
