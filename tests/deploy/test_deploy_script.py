"""docker/deploy.sh against moto's server (a local AWS API emulator), not a stub."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.deploy.test_ecs_rules import rules
from tests.servers import PROJECT_DIR, ServerProcess, free_port, http_request

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def moto():
    """A moto server on a free port; yields its endpoint URL."""
    port = free_port()
    server = ServerProcess(
        [str(BIN / "moto_server"), "-p", str(port)], dict(os.environ)
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            http_request(port, "/moto-api/", timeout=1)
            break
        except OSError:
            assert time.monotonic() < deadline, server.output
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    server.stop()


def aws_env(endpoint: str) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{BIN}:{os.environ['PATH']}",
        "PYTHON": sys.executable,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }


@pytest.fixture
def aws_world(moto):
    """A VPC, subnets, a security group, a cluster and the two services in moto."""
    import boto3

    session = boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="eu-west-1",
    )
    ec2 = session.client("ec2", endpoint_url=moto)
    ecs = session.client("ecs", endpoint_url=moto)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24")["Subnet"]["SubnetId"]
        for n in (1, 2)
    ]
    group = ec2.create_security_group(
        GroupName=f"api-{time.monotonic_ns()}", Description="api", VpcId=vpc
    )["GroupId"]
    cluster = f"fastship-{time.monotonic_ns()}"
    ecs.create_cluster(clusterName=cluster)
    network = {
        "awsvpcConfiguration": {
            "subnets": subnets,
            "securityGroups": [group],
            "assignPublicIp": "DISABLED",
        }
    }
    values = {**rules.SAMPLE, "ENVIRONMENT": "test"}
    for role in ("api", "worker"):  # the services exist before the first deploy
        first = ecs.register_task_definition(
            **rules.load(f"taskdef-{role}.json", values)
        )
        ecs.create_service(
            cluster=cluster,
            serviceName=f"fastship-{role}-test",
            taskDefinition=first["taskDefinition"]["taskDefinitionArn"],
            desiredCount=1,
            launchType="FARGATE",
            networkConfiguration=network,
        )
    return {
        "ecs": ecs,
        "env": {
            "ENVIRONMENT": "test",
            "CLUSTER": cluster,
            "IMAGE_REPOSITORY": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fastship",
            "IMAGE_TAG": "3f2a9c1d0e4b",
            "SKIP_BUILD": "1",
            "EXECUTION_ROLE_ARN": "arn:aws:iam::123456789012:role/fastship-execution",
            "TASK_ROLE_ARN": "arn:aws:iam::123456789012:role/fastship-task",
            "SECRETS_ARN_PREFIX": (
                "arn:aws:ssm:eu-west-1:123456789012:parameter/fastship/test"
            ),
            "API_HOSTNAME": "api.fastship.example",
            "EMAIL_HOST": "email-smtp.eu-west-1.amazonaws.com",
            "EMAIL_HOST_USER": "AKIAEXAMPLE",
            "DEFAULT_FROM_EMAIL": "no-reply@fastship.example",
            "VPC_CIDR": "10.0.0.0/16",
            "PRIVATE_SUBNET_A": subnets[0],
            "PRIVATE_SUBNET_B": subnets[1],
            "API_SECURITY_GROUP": group,
            "MIGRATE_TIMEOUT": "60",
            "MIGRATE_POLL_SECONDS": "1",
            "WAIT_STABLE": "0",  # moto's services never run tasks
        },
    }


def deploy(endpoint: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "docker/deploy.sh"],
        cwd=PROJECT_DIR,
        env={**aws_env(endpoint), **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def service_task_definitions(ecs, cluster: str) -> dict[str, str]:
    services = ecs.describe_services(
        cluster=cluster, services=["fastship-api-test", "fastship-worker-test"]
    )["services"]
    return {s["serviceName"]: s["taskDefinition"] for s in services}


def test_missing_variable_stops_before_anything(moto, aws_world):
    """A missing variable stops the script at once, naming it."""
    before = aws_world["ecs"].list_task_definitions()["taskDefinitionArns"]
    env = {**aws_world["env"], "CLUSTER": ""}
    result = deploy(moto, env)
    assert result.returncode != 0
    assert "CLUSTER is required" in result.stderr
    assert aws_world["ecs"].list_task_definitions()["taskDefinitionArns"] == before


def test_latest_tag_is_refused(moto, aws_world):
    """An image tag must be immutable: `latest` is refused."""
    result = deploy(moto, {**aws_world["env"], "IMAGE_TAG": "latest"})
    assert result.returncode != 0
    assert "immutable" in result.stderr


def test_full_deploy_registers_migrates_and_updates_services(moto, aws_world):
    """Task definitions registered, the migrate task run, both services updated."""
    ecs, cluster = aws_world["ecs"], aws_world["env"]["CLUSTER"]
    before = service_task_definitions(ecs, cluster)
    result = deploy(moto, aws_world["env"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "migrations applied" in result.stdout
    after = service_task_definitions(ecs, cluster)
    for name in ("fastship-api-test", "fastship-worker-test"):
        assert after[name] != before[name]
        definition = ecs.describe_task_definition(taskDefinition=after[name])[
            "taskDefinition"
        ]
        assert definition["containerDefinitions"][0]["image"].endswith(":3f2a9c1d0e4b")
    migrate = ecs.list_tasks(
        cluster=cluster, family="fastship-migrate-test", desiredStatus="STOPPED"
    )
    running = ecs.list_tasks(cluster=cluster, family="fastship-migrate-test")
    assert migrate["taskArns"] or running["taskArns"]


def test_a_failing_step_stops_before_the_services(moto, aws_world):
    """When the migrate task cannot run, the services keep their task definitions."""
    ecs, cluster = aws_world["ecs"], aws_world["env"]["CLUSTER"]
    before = service_task_definitions(ecs, cluster)
    env = {**aws_world["env"], "PRIVATE_SUBNET_A": "subnet-0000doesnotexist"}
    result = deploy(moto, env)
    assert result.returncode != 0
    assert "FAILED at step: run migrations" in result.stderr
    assert service_task_definitions(ecs, cluster) == before
