"""The deploy guide's post-mortem table names only what exists: resources, files,
tests."""

from __future__ import annotations

import re

from tests.deploy.test_ecs_rules import rules
from tests.servers import PROJECT_DIR

GUIDE = (PROJECT_DIR / "docs" / "deploy.md").read_text()
TESTS = "\n".join(p.read_text() for p in (PROJECT_DIR / "tests").rglob("test_*.py"))


def table() -> str:
    start = GUIDE.index("## The seven errors of the post-mortem")
    end = GUIDE.find("\n#", start + 1)
    return GUIDE[start : end if end > 0 else None]


def test_the_table_covers_the_seven_errors_and_the_network_items():
    rows = [line for line in table().splitlines() if line.startswith("| ")][1:]
    numbered = [row.split("|")[1].strip().split(".")[0] for row in rows[:7]]
    assert numbered == [str(n) for n in range(1, 8)]
    assert any("port 8000" in row for row in rows)
    assert any("private subnets" in row for row in rows)
    assert all(len(row.split("|")) == 5 for row in rows), "three columns each"


def test_every_resource_it_names_is_in_its_template():
    named = re.findall(r"`(network|data|app)\.yaml:(\w+)`", table())
    assert len(named) > 20
    for template, resource in named:
        resources = rules.load_template(
            PROJECT_DIR / "docker/cloudformation" / f"{template}.yaml"
        )["Resources"]
        assert resource in resources, f"{template}.yaml has no {resource}"


def test_every_file_and_test_it_names_exists():
    paths = re.findall(r"`((?:[\w.-]+/)+[\w.-]*)`", table())
    assert paths
    for path in paths:
        assert (PROJECT_DIR / path).exists() or (
            PROJECT_DIR / "docker" / path
        ).exists(), path
    for test in re.findall(r"`(test_\w+)`", table()):
        assert re.search(rf"^def {test}\(", TESTS, re.M), test
    for rule in re.findall(r"cfn-lint (E\d{4})(?: and (E\d{4}))?", table()):
        for rule_id in filter(None, rule):
            assert f'"{rule_id}"' in TESTS, rule_id
