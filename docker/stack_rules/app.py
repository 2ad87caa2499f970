"""The application stack: the two-phase release, roles, alarms, scaling, secrets."""

from __future__ import annotations

import json
from typing import Any

from stack_rules.common import HERE, imported, literal_assignments, texts
from stack_rules.tasks import deployment_problems

ECS_EXEC_ACTIONS = {
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
}


# (namespace, metric) the application stack must alarm on: the post-mortem's
# signals and the application's own (fastship/metrics.py).
REQUIRED_ALARMS = {
    ("AWS/ApplicationELB", "UnHealthyHostCount"),
    ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"),
    ("AWS/ApplicationELB", "TargetResponseTime"),
    ("AWS/ECS", "MemoryUtilization"),
    ("ECS/ContainerInsights", "RunningTaskCount"),
}


def _alarmed(resources: dict[str, Any]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for resource in resources.values():
        if resource.get("Type") != "AWS::CloudWatch::Alarm":
            continue
        properties = resource["Properties"]
        if not properties.get("AlarmActions"):
            continue  # an alarm nobody hears is not an alarm
        metrics = [properties] + [
            item["MetricStat"]["Metric"]
            for item in properties.get("Metrics", [])
            if "MetricStat" in item
        ]
        for metric in metrics:
            if "MetricName" in metric:
                namespace = texts(metric.get("Namespace"))
                found.add((namespace[0] if namespace else "", metric["MetricName"]))
    return found


def release_problems(resources: dict[str, Any]) -> list[str]:
    """The two-phase release deploy.sh relies on.

    Phase 1 sets MigrateImageTag (only the migrate task changes), phase 2
    ImageTag (the services roll). Before the first ImageTag the services run
    no tasks, so nothing serves before the first migration.
    """
    problems: list[str] = []

    def image(name: str) -> Any:
        properties = resources.get(name, {}).get("Properties", {})
        return properties.get("ContainerDefinitions", [{}])[0].get("Image")

    for name in ("ApiTaskDefinition", "WorkerTaskDefinition"):
        choice = image(name)
        arms = choice.get("Fn::If", []) if isinstance(choice, dict) else []
        if not (
            len(arms) == 3
            and arms[0] == "Serving"
            and texts(arms[1])[-1:] == ["${Repository}:${ImageTag}"]
            and texts(arms[2])[-1:] == ["${Repository}:${MigrateImageTag}"]
        ):
            problems.append(
                f"{name}: must run ImageTag once serving (MigrateImageTag before)"
            )
    if texts(image("MigrateTaskDefinition")) != ["${Repository}:${MigrateImageTag}"]:
        problems.append("MigrateTaskDefinition: must run MigrateImageTag")
    for name in ("ApiService", "WorkerService"):
        count = resources.get(name, {}).get("Properties", {}).get("DesiredCount")
        arms = count.get("Fn::If", []) if isinstance(count, dict) else []
        if not (len(arms) == 3 and arms[0] == "Serving" and arms[2] == 0):
            problems.append(f"{name}: must run no tasks before the first ImageTag")
    return problems


def app_problems(template: dict[str, Any], app_metrics: set[str]) -> list[str]:
    """What no linter checks in the application stack: roles, alarms, scaling."""
    resources = template.get("Resources", {})
    problems: list[str] = []
    for name, resource in resources.items():
        if resource.get("Type") == "AWS::ECS::Service":
            problems += deployment_problems(name, resource["Properties"])
    problems += release_problems(resources)
    task_role = resources.get("TaskRole", {}).get("Properties", {})
    actions = {
        action
        for policy in task_role.get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        for action in statement.get("Action", [])
    }
    if actions != ECS_EXEC_ACTIONS or task_role.get("ManagedPolicyArns"):
        problems.append(
            "TaskRole: must allow exactly the four ssmmessages actions ECS Exec needs"
        )
    execution = resources.get("ExecutionRole", {}).get("Properties", {})
    reads = [
        statement.get("Resource")
        for policy in execution.get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        if "secretsmanager:GetSecretValue" in statement.get("Action", [])
    ]
    wanted = {
        "Fn::Split": [
            ",",
            {"Fn::ImportValue": {"Fn::Sub": "fastship-${Environment}-data-secrets"}},
        ]
    }
    if reads != [wanted]:
        problems.append(
            "ExecutionRole: must read exactly the data stack's secrets "
            "(fastship-<env>-data-secrets), nothing more"
        )
    cluster = resources.get("Cluster", {}).get("Properties", {})
    if {"Name": "containerInsights", "Value": "enabled"} not in cluster.get(
        "ClusterSettings", []
    ):
        problems.append(
            "Cluster: Container Insights must be on (the worker alarm reads it)"
        )
    key = resources.get("AlarmTopic", {}).get("Properties", {}).get("KmsMasterKeyId")
    if not isinstance(key, dict) or texts(key.get("Fn::ImportValue")) != [
        "fastship-${Environment}-data-key"
    ]:
        problems.append(
            "AlarmTopic: must use the data stack's key (CloudWatch cannot publish "
            "to a topic under the AWS-managed SNS key)"
        )
    alarmed = _alarmed(resources)
    for namespace, metric in sorted(REQUIRED_ALARMS):
        if (namespace, metric) not in alarmed:
            problems.append(f"alarms: nothing alarms on {namespace} {metric}")
    for metric in sorted(app_metrics):
        if ("FastShip/${Environment}", metric) not in alarmed:
            problems.append(f"alarms: nothing alarms on the application's {metric}")
    policies = [
        r["Properties"]
        for r in resources.values()
        if r.get("Type") == "AWS::ApplicationAutoScaling::ScalingPolicy"
    ]
    if not any(p.get("PolicyType") == "TargetTrackingScaling" for p in policies):
        problems.append("autoscaling: the API service needs a target-tracking policy")
    return problems


def application_metric_names() -> set[str]:
    """The metric names fastship/metrics.py writes (read without importing Django)."""
    constants = literal_assignments(HERE.parent / "fastship/metrics.py")
    return {
        value
        for name, value in constants.items()
        if name.isupper() and isinstance(value, str)
    }


def secret_problems(app: dict[str, Any], data: dict[str, Any]) -> list[str]:
    """Each secret a task reads is one the data stack exports and lists for the role."""
    exports = {
        texts(output.get("Export", {}).get("Name"))[0]: output.get("Value")
        for output in data.get("Outputs", {}).values()
        if output.get("Export")
    }
    listed = exports.get("fastship-${Environment}-data-secrets", {})
    in_list = {
        json.dumps(item, sort_keys=True)
        for item in (listed.get("Fn::Join", [None, []])[1] if listed else [])
    }
    problems: list[str] = []
    for resource in app.get("Resources", {}).values():
        if resource.get("Type") != "AWS::ECS::TaskDefinition":
            continue
        for container in resource["Properties"].get("ContainerDefinitions", []):
            for secret in container.get("Secrets", []):
                value = exports.get(imported(secret))
                if value is None:
                    problems.append(
                        f"secrets: the data stack exports no {secret.get('Name')}"
                    )
                elif json.dumps(value, sort_keys=True) not in in_list:
                    problems.append(
                        f"secrets: {secret.get('Name')} is not in the data stack's "
                        "secret list, so the execution role cannot read it"
                    )
    return sorted(set(problems))
