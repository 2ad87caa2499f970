#!/usr/bin/env python3
"""Check the CloudFormation stacks in docker/cloudformation/ and gunicorn offline.

cfn-lint checks each template against every resource's schema and Fargate's
sizes, network mode, port mappings and essential containers; the rules here
catch what no tool checks: the container health-check and stop-timeout ranges,
timings that must agree (health checks, stop timeout vs gunicorn's graceful
timeout, deregistration delay, grace period, keep-alive), and across the
stacks: the endpoints a private task needs, TLS to the data stores end to end,
the secrets the tasks read and the execution role may read, an alarm on each
signal the post-mortem and the application (fastship/metrics.py) name.
Usage: python docker/ecs_rules.py   (exit 1 and one line per problem)
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, docker/ is on the path already; loaded by file (the tests),
# not: append it (last, so docker/healthcheck.py never shadows the package).
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

from stack_rules.app import (
    ECS_EXEC_ACTIONS,
    REQUIRED_ALARMS,
    app_problems,
    application_metric_names,
    release_problems,
    secret_problems,
)
from stack_rules.common import (
    CLOUDFORMATION,
    HERE,
    attributes,
    gunicorn_settings,
    load_template,
)
from stack_rules.dashboard import dashboard_problems, series_metric_names
from stack_rules.data import data_problems
from stack_rules.network import TASK_ENDPOINTS, network_problems
from stack_rules.tasks import (
    deployment_problems,
    keepalive_problems,
    service_problems,
    task_definition_problems,
)

__all__ = [
    "ECS_EXEC_ACTIONS",
    "REQUIRED_ALARMS",
    "TASK_ENDPOINTS",
    "all_problems",
    "app_problems",
    "application_metric_names",
    "dashboard_problems",
    "data_problems",
    "deployment_problems",
    "gunicorn_settings",
    "keepalive_problems",
    "load_template",
    "network_problems",
    "release_problems",
    "secret_problems",
    "service_problems",
    "task_definition_problems",
]


def all_problems() -> list[str]:
    gunicorn = gunicorn_settings()
    graceful = float(gunicorn.get("graceful_timeout", 30))
    app = load_template(CLOUDFORMATION / "app.yaml")
    resources = app["Resources"]
    problems: list[str] = []
    for name, resource in resources.items():
        if resource.get("Type") == "AWS::ECS::TaskDefinition":
            problems += task_definition_problems(
                name, resource["Properties"], graceful_timeout=graceful
            )
    problems += service_problems(
        resources["ApiService"]["Properties"],
        resources["TargetGroup"]["Properties"],
        resources["ApiTaskDefinition"]["Properties"],
    )
    idle = attributes(resources["LoadBalancer"]["Properties"], "LoadBalancerAttributes")
    problems += keepalive_problems(
        gunicorn, int(idle.get("idle_timeout.timeout_seconds", 60))
    )
    problems += app_problems(app, application_metric_names())
    problems += dashboard_problems(
        app, application_metric_names() | series_metric_names()
    )
    problems += network_problems(load_template(CLOUDFORMATION / "network.yaml"))
    data = load_template(CLOUDFORMATION / "data.yaml")
    problems += data_problems(data, (HERE / "Dockerfile").read_text())
    problems += secret_problems(app, data)
    return problems


if __name__ == "__main__":
    found = all_problems()
    for problem in found:
        print(problem)
    print("CloudFormation rules: OK" if not found else f"{len(found)} problem(s)")
    sys.exit(1 if found else 0)
