"""Task definitions, the API service and its target group: Fargate's rules and timings."""

from __future__ import annotations

import re
from typing import Any

from stack_rules.common import attributes, imported, texts


def environment_entries(container: dict[str, Any]) -> list[dict[str, Any]]:
    """A container's environment entries, both arms of an ``!If`` included."""
    found = []
    for entry in container.get("Environment", []):
        arms = entry["Fn::If"][1:] if "Fn::If" in entry else [entry]
        found += [arm for arm in arms if isinstance(arm, dict) and "Name" in arm]
    return found


SECRET_NAME = re.compile(
    r"(SECRET|PASSWORD|TOKEN|KEY|CREDENTIAL)|^DATABASE_URL$|^REDIS_URL$", re.I
)


AWSLOGS_REQUIRED = ("awslogs-group", "awslogs-region", "awslogs-stream-prefix")


def task_definition_problems(
    name: str, task: dict[str, Any], *, graceful_timeout: float
) -> list[str]:
    """Rules for one AWS::ECS::TaskDefinition that cfn-lint lacks.

    cfn-lint already refuses a cpu/memory pair Fargate does not offer (E3047),
    a network mode other than awsvpc (E3048), a HostPort unlike its
    ContainerPort (E3053) and a task without an essential container (E3042);
    tests/deploy/test_ecs_rules.py holds it to that.
    """
    problems: list[str] = []
    try:
        memory = int(task["Memory"])
    except (KeyError, ValueError):
        return [f"{name}: the task needs an integer Memory"]
    containers = task.get("ContainerDefinitions", [])
    container_memory = sum(int(c.get("Memory", 0)) for c in containers)
    if container_memory > memory:
        problems.append(
            f"{name}: containers' memory {container_memory} exceeds the task's {memory}"
        )
    for container in containers:
        where = f"{name}/{container.get('Name', '?')}"
        for image in texts(container.get("Image")) or [""]:
            if not re.search(r":\$\{(Migrate)?ImageTag\}$", image):
                problems.append(
                    f"{where}: image must be the repository at the ImageTag or "
                    f"MigrateImageTag parameter (immutable), not {image!r}"
                )
        check = container.get("HealthCheck")
        if check:
            interval, timeout = check.get("Interval", 30), check.get("Timeout", 5)
            if not 5 <= interval <= 300:
                problems.append(
                    f"{where}: health-check interval {interval} outside 5-300"
                )
            if not 2 <= timeout <= 60:
                problems.append(f"{where}: health-check timeout {timeout} outside 2-60")
            if interval <= timeout:
                problems.append(
                    f"{where}: health-check interval must be greater than timeout"
                )
            if not 1 <= check.get("Retries", 3) <= 10:
                problems.append(f"{where}: health-check retries outside 1-10")
            if not 0 <= check.get("StartPeriod", 0) <= 300:
                problems.append(f"{where}: health-check startPeriod outside 0-300")
        logging = container.get("LogConfiguration") or {}
        if logging.get("LogDriver") != "awslogs":
            problems.append(f"{where}: logs must go to awslogs")
        else:
            options = logging.get("Options", {})
            missing = [k for k in AWSLOGS_REQUIRED if not options.get(k)]
            if missing:
                problems.append(
                    f"{where}: awslogs options missing {', '.join(missing)}"
                )
            if options.get("mode") != "non-blocking":
                problems.append(
                    f"{where}: awslogs must be non-blocking (a slow log API must not "
                    "stop the process writing)"
                )
        stop = container.get("StopTimeout", 30)
        if not 2 <= stop <= 120:
            problems.append(f"{where}: stopTimeout {stop} outside Fargate's 2-120")
        if stop <= graceful_timeout:
            problems.append(
                f"{where}: stopTimeout {stop} must exceed gunicorn graceful_timeout "
                f"{graceful_timeout}"
            )
        if "api" in texts(container.get("Command")):
            problems += _drain_problems(where, container, stop, graceful_timeout)
        for variable in environment_entries(container):
            if SECRET_NAME.search(variable.get("Name", "")):
                problems.append(
                    f"{where}: {variable['Name']} looks secret: use Secrets, not Environment"
                )
        for secret in container.get("Secrets", []):
            expected = f"fastship-${{Environment}}-data-secret-{secret.get('Name')}"
            if imported(secret) != expected:
                problems.append(
                    f"{where}: secret {secret.get('Name')} must import {expected}"
                )
    return problems


def _drain_problems(
    where: str, container: dict[str, Any], stop: float, graceful_timeout: float
) -> list[str]:
    """The API drains on SIGTERM (DRAIN_SECONDS), then gunicorn stops its
    workers within graceful_timeout: both must fit in the stopTimeout."""
    values = {
        variable.get("Name"): variable.get("Value")
        for variable in container.get("Environment", [])
    }
    try:
        drain = float(values["DRAIN_SECONDS"])
    except (KeyError, TypeError, ValueError):
        return [f"{where}: set DRAIN_SECONDS (the drain on SIGTERM) explicitly"]
    if drain + graceful_timeout >= stop:
        return [
            f"{where}: DRAIN_SECONDS {drain:g} + graceful_timeout "
            f"{graceful_timeout:g} must stay below stopTimeout {stop}"
        ]
    return []


def service_problems(
    service: dict[str, Any], target_group: dict[str, Any], task: dict[str, Any]
) -> list[str]:
    """Rules linking the API service, its target group and its task definition.

    The target group's ranges (interval, timeout, thresholds) are cfn-lint's
    (E3034).
    """
    problems: list[str] = []
    interval = target_group.get("HealthCheckIntervalSeconds", 30)
    timeout = target_group.get("HealthCheckTimeoutSeconds", 6)
    if interval <= timeout:
        problems.append("target group: interval must be greater than timeout")
    if target_group.get("HealthCheckPath") != "/health":
        problems.append(
            "target group: health check must use /health (the shallow probe)"
        )
    if target_group.get("Matcher", {}).get("HttpCode") != "200":
        problems.append("target group: matcher must be 200")
    if target_group.get("TargetType") != "ip":
        problems.append("target group: awsvpc tasks need TargetType ip")
    containers = task.get("ContainerDefinitions", [])
    delay = int(
        attributes(target_group, "TargetGroupAttributes").get(
            "deregistration_delay.timeout_seconds", 300
        )
    )
    if delay >= min((c.get("StopTimeout", 30) for c in containers), default=30):
        problems.append(
            f"target group: deregistration delay {delay} must be below the "
            "containers' stopTimeout (requests in flight finish first)"
        )
    start_periods = [c.get("HealthCheck", {}).get("StartPeriod", 0) for c in containers]
    grace = service.get("HealthCheckGracePeriodSeconds", 0)
    if grace < max(start_periods, default=0):
        problems.append(
            f"service: grace period {grace} below the container startPeriod"
        )
    return problems


def deployment_problems(name: str, service: dict[str, Any]) -> list[str]:
    """Both services: roll back a failing deploy, allow ECS Exec, stay private."""
    problems: list[str] = []
    deployment = service.get("DeploymentConfiguration", {})
    breaker = deployment.get("DeploymentCircuitBreaker", {})
    if not (breaker.get("Enable") and breaker.get("Rollback")):
        problems.append(f"{name}: deployment circuit breaker with rollback must be on")
    if deployment.get("MinimumHealthyPercent", 0) < 100:
        problems.append(
            f"{name}: a deploy must keep every old task until new ones serve"
        )
    if not service.get("EnableExecuteCommand"):
        problems.append(f"{name}: ECS Exec must be enabled")
    network = service.get("NetworkConfiguration", {}).get("AwsvpcConfiguration", {})
    if network.get("AssignPublicIp") != "DISABLED":
        problems.append(f"{name}: tasks must not get public addresses")
    return problems


def keepalive_problems(gunicorn: dict[str, Any], idle_timeout: int) -> list[str]:
    if gunicorn.get("keepalive", 2) <= idle_timeout:
        return [
            f"gunicorn keepalive {gunicorn.get('keepalive')} must exceed the ALB idle "
            f"timeout {idle_timeout}"
        ]
    return []
