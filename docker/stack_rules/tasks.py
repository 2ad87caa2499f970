"""Task definitions, the API service and its target group: Fargate's rules and timings."""

from __future__ import annotations

import re
from typing import Any

from stack_rules.common import attributes, imported, texts

# Fargate (Linux) task cpu → valid memory (MiB), from the AWS table.
FARGATE_SIZES: dict[int, set[int]] = {
    256: {512, 1024, 2048},
    512: set(range(1024, 4097, 1024)),
    1024: set(range(2048, 8193, 1024)),
    2048: set(range(4096, 16385, 1024)),
    4096: set(range(8192, 30721, 1024)),
    8192: set(range(16384, 61441, 4096)),
    16384: set(range(32768, 122881, 8192)),
}


SECRET_NAME = re.compile(
    r"(SECRET|PASSWORD|TOKEN|KEY|CREDENTIAL)|^DATABASE_URL$|^REDIS_URL$", re.I
)


AWSLOGS_REQUIRED = ("awslogs-group", "awslogs-region", "awslogs-stream-prefix")


def task_definition_problems(
    name: str, task: dict[str, Any], *, graceful_timeout: float
) -> list[str]:
    """Rules for one AWS::ECS::TaskDefinition's properties that cfn-lint lacks."""
    problems: list[str] = []
    try:
        cpu, memory = int(task["Cpu"]), int(task["Memory"])
    except (KeyError, ValueError):
        return [f"{name}: Fargate needs integer task Cpu and Memory"]
    if memory not in FARGATE_SIZES.get(cpu, set()):
        problems.append(f"{name}: cpu {cpu} with memory {memory} is not a Fargate size")
    if task.get("NetworkMode") != "awsvpc":
        problems.append(f"{name}: Fargate needs NetworkMode awsvpc")
    containers = task.get("ContainerDefinitions", [])
    if not any(c.get("Essential", True) for c in containers):
        problems.append(f"{name}: no essential container")
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
        for mapping in container.get("PortMappings", []):
            if mapping.get("HostPort", mapping.get("ContainerPort")) != mapping.get(
                "ContainerPort"
            ):
                problems.append(f"{where}: HostPort must equal ContainerPort in awsvpc")
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
        for variable in container.get("Environment", []):
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


def service_problems(
    service: dict[str, Any], target_group: dict[str, Any], task: dict[str, Any]
) -> list[str]:
    """Rules linking the API service, its target group and its task definition."""
    problems: list[str] = []
    interval = target_group.get("HealthCheckIntervalSeconds", 30)
    timeout = target_group.get("HealthCheckTimeoutSeconds", 6)
    if not 5 <= interval <= 300:
        problems.append(f"target group: interval {interval} outside 5-300")
    if not 2 <= timeout <= 120:
        problems.append(f"target group: timeout {timeout} outside 2-120")
    if interval <= timeout:
        problems.append("target group: interval must be greater than timeout")
    for key in ("HealthyThresholdCount", "UnhealthyThresholdCount"):
        if not 2 <= target_group.get(key, 5) <= 10:
            problems.append(f"target group: {key} outside 2-10")
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
