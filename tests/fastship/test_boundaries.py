"""Dependencies point one way: infrastructure never imports the domain."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.servers import PROJECT_DIR

WIRING = {"fastship/urls.py", "fastship/asgi.py"}


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def offenders(package: str, forbidden: tuple[str, ...]) -> dict[str, list[str]]:
    found = {}
    for path in sorted((PROJECT_DIR / package).rglob("*.py")):
        name = str(path.relative_to(PROJECT_DIR))
        if name in WIRING or "/migrations/" in name:
            continue
        bad = sorted(
            module
            for module in imported_modules(path)
            if any(module == f or module.startswith(f"{f}.") for f in forbidden)
        )
        if bad:
            found[name] = bad
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("fastship", ("shipping",)),
        ("healthcheck", ("shipping", "fastship.requestlog")),
    ],
)
def test_infrastructure_does_not_import_the_domain(package, forbidden):
    """Only the URL and ASGI wiring of fastship/ may name shipping."""
    assert offenders(package, forbidden) == {}


def test_services_and_jobs_do_not_import_the_api_layer():
    """Services, selectors and jobs serve the views, never the other way round:
    what they share with the API's answers lives in shipping/representations.py."""
    assert offenders("shipping/services", ("shipping.apis",)) == {}
    assert offenders("shipping/selectors", ("shipping.apis",)) == {}
    for module in ("shipping/jobs.py",):
        assert not {
            m
            for m in imported_modules(PROJECT_DIR / module)
            if m.startswith("shipping.apis")
        }, module


def test_every_domain_error_is_registered_for_the_schema():
    from fastship.api.domain_error import DomainError
    from shipping import exceptions

    defined = {
        value
        for value in vars(exceptions).values()
        if isinstance(value, type)
        and issubclass(value, DomainError)
        and value is not DomainError
    }
    assert defined <= set(DomainError.registered)
    assert {error.code for error in defined} >= {"invalid_transition", "unknown_tag"}


def test_apps_register_their_own_readiness_checks_after_the_infrastructure():
    from django.conf import settings

    from healthcheck.readiness import registered_checks

    names = [check.name for check in registered_checks(settings.HEALTH_CHECK_TIMEOUT)]
    assert names[:4] == [
        "database:responseTime",
        "database:migrations",
        "redis:responseTime",
        "rq:queues",
    ]
    assert set(names[4:]) == {"requestlog:shipper", "notifications:outbox"}


def test_no_module_passes_300_lines():
    """A module that grows past 300 lines is split by sub-domain."""
    sizes = {
        str(path.relative_to(PROJECT_DIR)): len(path.read_text().splitlines())
        for package in ("fastship", "shipping", "healthcheck")
        for path in (PROJECT_DIR / package).rglob("*.py")
        if "/migrations/" not in str(path)
    }
    assert {name: lines for name, lines in sizes.items() if lines > 300} == {}
