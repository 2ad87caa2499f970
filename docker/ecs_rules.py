#!/usr/bin/env python3
"""Check the ECS, ALB, gunicorn and CloudFormation settings in docker/ offline.

botocore's models catch unknown keys, wrong types and missing members; the
rules here catch what no tool checks (docs ranges and cross-field rules, and
across the templates: the endpoints a private task needs, TLS to the data
stores end to end). cfn-lint checks each template's own schema.
Usage: python docker/ecs_rules.py   (exit 1 and one line per problem)
"""

from __future__ import annotations

import ast
import json
import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ECS = HERE / "ecs"

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
ALB_IDLE_TIMEOUT_DEFAULT = 60
SECRET_NAME = re.compile(
    r"(SECRET|PASSWORD|TOKEN|KEY|CREDENTIAL)|^DATABASE_URL$|^REDIS_URL$", re.I
)
AWSLOGS_REQUIRED = ("awslogs-group", "awslogs-region", "awslogs-stream-prefix")

# Placeholder values used to validate the templates offline.
SAMPLE = {
    "IMAGE": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fastship:3f2a9c1",
    "AWS_REGION": "eu-west-1",
    "ENVIRONMENT": "prod",
    "EXECUTION_ROLE_ARN": "arn:aws:iam::123456789012:role/fastship-execution",
    "TASK_ROLE_ARN": "arn:aws:iam::123456789012:role/fastship-task",
    "SECRETS_ARN_PREFIX": "arn:aws:ssm:eu-west-1:123456789012:parameter/fastship/prod",
    "API_HOSTNAME": "api.fastship.example",
    "EMAIL_HOST": "email-smtp.eu-west-1.amazonaws.com",
    "EMAIL_HOST_USER": "AKIAEXAMPLE",
    "DEFAULT_FROM_EMAIL": "FastShip <no-reply@fastship.example>",
    "VPC_CIDR": "10.0.0.0/16",
    "VPC_ID": "vpc-0123456789abcdef0",
    "CLUSTER": "fastship-prod",
    "API_TASK_DEFINITION_ARN": "arn:aws:ecs:eu-west-1:123456789012:task-definition/fastship-api-prod:1",
    "WORKER_TASK_DEFINITION_ARN": "arn:aws:ecs:eu-west-1:123456789012:task-definition/fastship-worker-prod:1",
    "PRIVATE_SUBNET_A": "subnet-0123456789abcdef0",
    "PRIVATE_SUBNET_B": "subnet-0123456789abcdef1",
    "API_SECURITY_GROUP": "sg-0123456789abcdef0",
    "TARGET_GROUP_ARN": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/fastship/abc",
    "LOAD_BALANCER_ARN": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/fastship/abc",
}


def render(text: str, values: dict[str, str]) -> str:
    """Fill ``${NAME}`` placeholders; an unknown one is an error (never left in)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"no value for placeholder ${{{name}}}")
        return values[name]

    return re.sub(r"\$\{([A-Z0-9_]+)\}", replace, text)


def load(name: str, values: dict[str, str] | None = None) -> Any:
    return json.loads(render((ECS / name).read_text(), values or SAMPLE))


def gunicorn_settings(path: Path = HERE / "gunicorn.conf.py") -> dict[str, Any]:
    """Read the literal numbers of gunicorn.conf.py without running it."""
    found: dict[str, Any] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and isinstance(node.value, ast.Constant):
                found[target.id] = node.value.value
    return found


def task_definition_problems(
    task: dict[str, Any], *, graceful_timeout: float
) -> list[str]:
    """Rules for one task definition that the ECS API model does not hold."""
    family = task.get("family", "?")
    problems: list[str] = []
    try:
        cpu, memory = int(task["cpu"]), int(task["memory"])
    except (KeyError, ValueError):
        return [f"{family}: Fargate needs integer task cpu and memory"]
    if memory not in FARGATE_SIZES.get(cpu, set()):
        problems.append(
            f"{family}: cpu {cpu} with memory {memory} is not a Fargate size"
        )
    if task.get("networkMode") != "awsvpc":
        problems.append(f"{family}: Fargate needs networkMode awsvpc")
    containers = task.get("containerDefinitions", [])
    if not any(c.get("essential", True) for c in containers):
        problems.append(f"{family}: no essential container")
    container_memory = sum(int(c.get("memory", 0)) for c in containers)
    if container_memory > memory:
        problems.append(
            f"{family}: containers' memory {container_memory} exceeds the task's {memory}"
        )
    for container in containers:
        name = f"{family}/{container.get('name', '?')}"
        image = str(container.get("image", ""))
        if image.endswith(":latest") or ":" not in image.rsplit("/", 1)[-1]:
            problems.append(
                f"{name}: image must have an immutable tag, not latest: {image}"
            )
        for mapping in container.get("portMappings", []):
            if mapping.get("hostPort", mapping.get("containerPort")) != mapping.get(
                "containerPort"
            ):
                problems.append(f"{name}: hostPort must equal containerPort in awsvpc")
        check = container.get("healthCheck")
        if check:
            interval, timeout = check.get("interval", 30), check.get("timeout", 5)
            if not 5 <= interval <= 300:
                problems.append(
                    f"{name}: health-check interval {interval} outside 5-300"
                )
            if not 2 <= timeout <= 60:
                problems.append(f"{name}: health-check timeout {timeout} outside 2-60")
            if interval <= timeout:
                problems.append(
                    f"{name}: health-check interval must be greater than timeout"
                )
            if not 1 <= check.get("retries", 3) <= 10:
                problems.append(f"{name}: health-check retries outside 1-10")
            if not 0 <= check.get("startPeriod", 0) <= 300:
                problems.append(f"{name}: health-check startPeriod outside 0-300")
        logging = container.get("logConfiguration") or {}
        if logging.get("logDriver") != "awslogs":
            problems.append(f"{name}: logs must go to awslogs")
        else:
            missing = [
                k for k in AWSLOGS_REQUIRED if not logging.get("options", {}).get(k)
            ]
            if missing:
                problems.append(f"{name}: awslogs options missing {', '.join(missing)}")
        stop = container.get("stopTimeout", 30)
        if not 2 <= stop <= 120:
            problems.append(f"{name}: stopTimeout {stop} outside Fargate's 2-120")
        if stop <= graceful_timeout:
            problems.append(
                f"{name}: stopTimeout {stop} must exceed gunicorn graceful_timeout {graceful_timeout}"
            )
        for variable in container.get("environment", []):
            if SECRET_NAME.search(variable.get("name", "")):
                problems.append(
                    f"{name}: {variable['name']} looks secret: use secrets/valueFrom, not environment"
                )
        for secret in container.get("secrets", []):
            if not str(secret.get("valueFrom", "")).startswith("arn:"):
                problems.append(
                    f"{name}: secret {secret.get('name')} needs a full ARN in valueFrom"
                )
    return problems


def service_problems(
    service: dict[str, Any], target_group: dict[str, Any], task: dict[str, Any]
) -> list[str]:
    """Rules linking the service, its target group and its task definition."""
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
    start_periods = [
        c.get("healthCheck", {}).get("startPeriod", 0)
        for c in task.get("containerDefinitions", [])
    ]
    grace = service.get("healthCheckGracePeriodSeconds", 0)
    if grace < max(start_periods, default=0):
        problems.append(
            f"service: grace period {grace} below the container startPeriod"
        )
    breaker = service.get("deploymentConfiguration", {}).get(
        "deploymentCircuitBreaker", {}
    )
    if not (breaker.get("enable") and breaker.get("rollback")):
        problems.append("service: deployment circuit breaker with rollback must be on")
    if not service.get("enableExecuteCommand"):
        problems.append("service: ECS Exec must be enabled")
    return problems


def keepalive_problems(gunicorn: dict[str, Any], idle_timeout: int) -> list[str]:
    if gunicorn.get("keepalive", 2) <= idle_timeout:
        return [
            f"gunicorn keepalive {gunicorn.get('keepalive')} must exceed the ALB idle timeout {idle_timeout}"
        ]
    return []


def botocore_problems() -> list[str]:
    """Validate each file against the AWS API model of the call that takes it."""
    import botocore.session
    from botocore.validate import ParamValidator

    session = botocore.session.get_session()
    calls = [
        ("ecs", "RegisterTaskDefinition", name)
        for name in ("taskdef-api.json", "taskdef-worker.json", "taskdef-migrate.json")
    ] + [
        ("ecs", "CreateService", "service-api.json"),
        ("ecs", "CreateService", "service-worker.json"),
        ("elbv2", "CreateTargetGroup", "target-group.json"),
        ("elbv2", "ModifyTargetGroupAttributes", "target-group-attributes.json"),
        ("elbv2", "ModifyLoadBalancerAttributes", "load-balancer-attributes.json"),
    ]
    problems = []
    for service, operation, name in calls:
        shape = (
            session.get_service_model(service).operation_model(operation).input_shape
        )
        report = ParamValidator().validate(load(name), shape)
        if report.has_errors():
            problems.append(
                f"{name} ({service} {operation}): {report.generate_report()}"
            )
    return problems


# What a Fargate task in a private subnet without NAT reaches through VPC
# endpoints: image layers (S3, a gateway endpoint), the image (ECR api, dkr),
# its logs, its secrets (Secrets Manager or SSM) and ECS Exec (ssmmessages).
TASK_ENDPOINTS = {
    "s3": "Gateway",
    "ecr.api": "Interface",
    "ecr.dkr": "Interface",
    "logs": "Interface",
    "secretsmanager": "Interface",
    "ssm": "Interface",
    "ssmmessages": "Interface",
}
PRIVATE_SUBNETS = ("PrivateSubnetA", "PrivateSubnetB")
PRIVATE_ROUTE_TABLES = ("PrivateRouteTableA", "PrivateRouteTableB")


def load_template(path: Path) -> dict[str, Any]:
    """A CloudFormation template, its short-form tags (!Ref, !Sub...) as dicts."""
    from cfnlint.decode import decode

    template, matches = decode(str(path))
    if matches or template is None:
        raise ValueError(f"{path}: {[str(match) for match in matches]}")
    return dict(template)


def _refs(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [item.get("Ref", "") for item in items if isinstance(item, dict)]


def network_problems(template: dict[str, Any]) -> list[str]:
    """Private tasks have a way out in both Egress variants (no linter knows this)."""
    resources = template.get("Resources", {})
    problems: list[str] = []
    vpc = resources.get("Vpc", {}).get("Properties", {})
    if not (vpc.get("EnableDnsSupport") and vpc.get("EnableDnsHostnames")):
        problems.append("network: the VPC needs DNS support and hostnames (endpoints)")
    endpoints: dict[str, dict[str, Any]] = {}
    for name, resource in resources.items():
        if resource.get("Type") != "AWS::EC2::VPCEndpoint":
            continue
        if resource.get("Condition") != "UseEndpoints":
            problems.append(f"network: {name} must exist only when Egress=endpoints")
        service = resource["Properties"].get("ServiceName", {})
        text = service.get("Fn::Sub", "") if isinstance(service, dict) else service
        endpoints[str(text).rsplit("}.", 1)[-1]] = resource["Properties"]
    for service, kind in TASK_ENDPOINTS.items():
        found = endpoints.get(service)
        if found is None:
            problems.append(f"network: Egress=endpoints lacks the {service} endpoint")
            continue
        if found.get("VpcEndpointType") != kind:
            problems.append(f"network: the {service} endpoint must be {kind}")
        elif kind == "Gateway" and sorted(_refs(found.get("RouteTableIds"))) != sorted(
            PRIVATE_ROUTE_TABLES
        ):
            problems.append(
                f"network: the {service} endpoint must route both private tables"
            )
        elif kind == "Interface" and (
            sorted(_refs(found.get("SubnetIds"))) != sorted(PRIVATE_SUBNETS)
            or found.get("PrivateDnsEnabled") is not True
        ):
            problems.append(
                f"network: the {service} endpoint must be in both private subnets "
                "with private DNS on"
            )
    routes = [
        resource["Properties"]
        for resource in resources.values()
        if resource.get("Type") == "AWS::EC2::Route"
        and resource.get("Condition") == "UseNat"
    ]
    for table in PRIVATE_ROUTE_TABLES:
        if not any(
            route.get("RouteTableId") == {"Ref": table} and "NatGatewayId" in route
            for route in routes
        ):
            problems.append(f"network: Egress=nat gives {table} no NAT gateway route")
    return problems


def _secret_string(resource: dict[str, Any]) -> str:
    value = resource.get("Properties", {}).get("SecretString", "")
    if isinstance(value, dict):  # !Sub "text" or !Sub ["text", {variables}]
        value = value.get("Fn::Sub", "")
        value = value[0] if isinstance(value, list) else value
    return str(value)


def data_problems(template: dict[str, Any], dockerfile: str) -> list[str]:
    """TLS to the data stores end to end: what the servers demand, the URLs use."""
    resources = template.get("Resources", {})
    problems: list[str] = []
    parameters = resources.get("DatabaseParameters", {}).get("Properties", {})
    if str(parameters.get("Parameters", {}).get("rds.force_ssl")) != "1":
        problems.append("data: PostgreSQL must require TLS (rds.force_ssl = 1)")
    database = resources.get("Database", {})
    if database.get("DeletionPolicy") != "Snapshot":
        problems.append("data: deleting the stack must leave a database snapshot")
    url = _secret_string(resources.get("DatabaseUrl", {}))
    if "sslmode=verify-full" not in url:
        problems.append("data: DATABASE_URL must use sslmode=verify-full")
    bundle = re.search(r"sslrootcert=([^&\s\"]+)", url)
    if bundle is None or bundle.group(1) not in dockerfile:
        problems.append(
            "data: DATABASE_URL's sslrootcert must be a file the image ships "
            "(docker/Dockerfile)"
        )
    redis = resources.get("Redis", {}).get("Properties", {})
    if not (redis.get("TransitEncryptionEnabled") and redis.get("AuthToken")):
        problems.append("data: Redis needs transit encryption and an auth token")
    if not _secret_string(resources.get("RedisUrl", {})).startswith("rediss://"):
        problems.append("data: REDIS_URL must be rediss:// (Redis speaks only TLS)")
    repository = resources.get("Repository", {}).get("Properties", {})
    if repository.get("ImageTagMutability") != "IMMUTABLE":
        problems.append("data: image tags must be immutable")
    return problems


def all_problems() -> list[str]:
    gunicorn = gunicorn_settings()
    graceful = float(gunicorn.get("graceful_timeout", 30))
    problems: list[str] = []
    for name in ("taskdef-api.json", "taskdef-worker.json", "taskdef-migrate.json"):
        problems += task_definition_problems(load(name), graceful_timeout=graceful)
    problems += service_problems(
        load("service-api.json"), load("target-group.json"), load("taskdef-api.json")
    )
    idle = int(load("load-balancer-attributes.json")["Attributes"][0]["Value"])
    problems += keepalive_problems(gunicorn, idle)
    problems += botocore_problems()
    problems += network_problems(load_template(HERE / "cloudformation/network.yaml"))
    problems += data_problems(
        load_template(HERE / "cloudformation/data.yaml"),
        (HERE / "Dockerfile").read_text(),
    )
    return problems


def render_from_environment(name: str) -> str:
    """The file ``name`` with placeholders filled from the environment (deploy.sh)."""
    import os

    return json.dumps(json.loads(render((ECS / name).read_text(), dict(os.environ))))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "render":
        print(render_from_environment(sys.argv[2]))
        sys.exit(0)
    found = all_problems()
    for problem in found:
        print(problem)
    print("ECS files: OK" if not found else f"{len(found)} problem(s)")
    sys.exit(1 if found else 0)
