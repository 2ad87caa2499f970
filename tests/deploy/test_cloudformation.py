"""The CloudFormation templates: cfn-lint clean, our rules, and a deploy to moto."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tests.deploy.moto_templates import create_data_stack, for_moto
from tests.deploy.test_ecs_rules import rules
from tests.servers import PROJECT_DIR

TEMPLATES = sorted((PROJECT_DIR / "docker/cloudformation").glob("*.yaml"))
NETWORK = PROJECT_DIR / "docker/cloudformation/network.yaml"
REGION = "eu-west-1"


def network() -> dict:
    return copy.deepcopy(rules.load_template(NETWORK))


def test_cfn_lint_reports_nothing():
    """No error, no warning, no informational match on any template."""
    assert TEMPLATES, "no templates found"
    result = subprocess.run(
        [Path(sys.executable).parent / "cfn-lint", *map(str, TEMPLATES)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_network_template_passes_our_rules():
    assert rules.network_problems(network()) == []


@pytest.mark.parametrize(
    "service", ["s3", "ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssmmessages"]
)
def test_without_nat_every_endpoint_a_task_needs_is_declared(service):
    """A copy without one endpoint is caught: tasks would not start (post-mortem)."""
    template = network()
    resources = template["Resources"]
    (name,) = [
        name
        for name, resource in resources.items()
        if resource["Type"] == "AWS::EC2::VPCEndpoint"
        and resource["Properties"]["ServiceName"]["Fn::Sub"].endswith(f"}}.{service}")
    ]
    del resources[name]
    assert rules.network_problems(template) == [
        f"network: Egress=endpoints lacks the {service} endpoint"
    ]


def test_endpoints_must_serve_both_private_subnets_and_resolve_privately():
    template = network()
    logs = template["Resources"]["LogsEndpoint"]["Properties"]
    logs["SubnetIds"] = [{"Ref": "PrivateSubnetA"}]
    template["Resources"]["EcrDkrEndpoint"]["Properties"]["PrivateDnsEnabled"] = False
    template["Resources"]["S3Endpoint"]["Properties"]["RouteTableIds"] = []
    problems = " ".join(rules.network_problems(template))
    assert "the logs endpoint must be in both private subnets" in problems
    assert "the ecr.dkr endpoint must be in both private subnets" in problems
    assert "the s3 endpoint must route both private tables" in problems


def test_nat_egress_must_route_each_private_table():
    template = network()
    del template["Resources"]["PrivateDefaultRouteB"]
    assert rules.network_problems(template) == [
        "network: Egress=nat gives PrivateRouteTableB no NAT gateway route"
    ]


def test_vpc_dns_is_required_for_the_endpoints():
    template = network()
    template["Resources"]["Vpc"]["Properties"]["EnableDnsHostnames"] = False
    assert any("DNS" in problem for problem in rules.network_problems(template))


def created(egress: str) -> dict:
    """Create the network stack in moto; return what describes it."""
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(
        StackName=f"fastship-test-network-{egress}",
        TemplateBody=NETWORK.read_text(),
        Parameters=[
            {"ParameterKey": "Environment", "ParameterValue": "test"},
            {"ParameterKey": "Egress", "ParameterValue": egress},
        ],
        Capabilities=["CAPABILITY_IAM"],
    )
    (stack,) = cloudformation.describe_stacks(
        StackName=f"fastship-test-network-{egress}"
    )["Stacks"]
    return stack


@pytest.mark.parametrize("egress", ["nat", "endpoints"])
def test_the_network_deploys_in_both_egress_variants(egress):
    with mock_aws():
        stack = created(egress)
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        ec2 = boto3.client("ec2", region_name=REGION)
        private = outputs["PrivateSubnets"].split(",")
        subnets = ec2.describe_subnets(SubnetIds=private)["Subnets"]
        assert len({subnet["AvailabilityZone"] for subnet in subnets}) == 2
        assert not any(subnet["MapPublicIpOnLaunch"] for subnet in subnets)
        nats = ec2.describe_nat_gateways(
            Filters=[{"Name": "vpc-id", "Values": [outputs["VpcId"]]}]
        )["NatGateways"]
        endpoints = ec2.describe_vpc_endpoints(
            Filters=[{"Name": "vpc-id", "Values": [outputs["VpcId"]]}]
        )["VpcEndpoints"]
        services = {e["ServiceName"].split(f"{REGION}.", 1)[1] for e in endpoints}
        if egress == "nat":
            assert len(nats) == 2
            assert services == set()
        else:
            assert nats == []
            assert services == set(rules.TASK_ENDPOINTS)


def test_only_the_load_balancer_reaches_the_tasks_and_only_tasks_the_data():
    with mock_aws():
        outputs = {o["OutputKey"]: o["OutputValue"] for o in created("nat")["Outputs"]}
        ec2 = boto3.client("ec2", region_name=REGION)
        groups = {
            group["GroupId"]: group
            for group in ec2.describe_security_groups(
                GroupIds=[
                    outputs[key]
                    for key in (
                        "LoadBalancerSecurityGroup",
                        "TaskSecurityGroup",
                        "DatabaseSecurityGroup",
                        "RedisSecurityGroup",
                    )
                ]
            )["SecurityGroups"]
        }

        def ingress(key: str) -> set[tuple]:
            rules_in = groups[outputs[key]]["IpPermissions"]
            return {
                (
                    rule["FromPort"],
                    *(r["CidrIp"] for r in rule.get("IpRanges", [])),
                    *(p["GroupId"] for p in rule.get("UserIdGroupPairs", [])),
                )
                for rule in rules_in
            }

        assert ingress("LoadBalancerSecurityGroup") == {
            (443, "0.0.0.0/0"),
            (80, "0.0.0.0/0"),
        }
        assert ingress("TaskSecurityGroup") == {
            (8000, outputs["LoadBalancerSecurityGroup"])
        }
        assert ingress("DatabaseSecurityGroup") == {
            (5432, outputs["TaskSecurityGroup"])
        }
        assert ingress("RedisSecurityGroup") == {(6379, outputs["TaskSecurityGroup"])}


DATA = PROJECT_DIR / "docker/cloudformation/data.yaml"
DOCKERFILE = (PROJECT_DIR / "docker/Dockerfile").read_text()


def data() -> dict:
    return copy.deepcopy(rules.load_template(DATA))


def test_the_data_template_passes_our_rules():
    assert rules.data_problems(data(), DOCKERFILE) == []


def test_tls_to_the_database_is_required_on_both_ends():
    template = data()
    parameters = template["Resources"]["DatabaseParameters"]["Properties"]
    parameters["Parameters"]["rds.force_ssl"] = "0"
    url = template["Resources"]["DatabaseUrl"]["Properties"]["SecretString"]["Fn::Sub"]
    url[0] = url[0].replace("sslmode=verify-full", "sslmode=require")
    assert rules.data_problems(template, DOCKERFILE) == [
        "data: PostgreSQL must require TLS (rds.force_ssl = 1)",
        "data: DATABASE_URL must use sslmode=verify-full",
    ]


def test_the_ca_bundle_the_url_names_must_be_in_the_image():
    """The post-mortem's database demanded TLS the tasks could not verify."""
    without = DOCKERFILE.replace("/app/certs/rds-global-bundle.pem", "/tmp/ca.pem")
    assert rules.data_problems(data(), without) == [
        "data: DATABASE_URL's sslrootcert must be a file the image ships "
        "(docker/Dockerfile)"
    ]


def test_the_key_must_let_cloudwatch_publish_alarms():
    template = data()
    statements = template["Resources"]["Key"]["Properties"]["KeyPolicy"]["Statement"]
    statements[:] = [s for s in statements if "cloudwatch" not in str(s["Principal"])]
    assert rules.data_problems(template, DOCKERFILE) == [
        "data: the key must let CloudWatch alarms publish to the topic"
    ]


def test_redis_tls_and_immutable_tags_and_the_snapshot_are_checked():
    template = data()
    resources = template["Resources"]
    url = resources["RedisUrl"]["Properties"]["SecretString"]["Fn::Sub"]
    url[0] = url[0].replace("rediss://", "redis://")
    del resources["Redis"]["Properties"]["AuthToken"]
    resources["Repository"]["Properties"]["ImageTagMutability"] = "MUTABLE"
    resources["Database"]["DeletionPolicy"] = "Delete"
    assert rules.data_problems(template, DOCKERFILE) == [
        "data: deleting the stack must leave a database snapshot",
        "data: Redis needs transit encryption and an auth token",
        "data: REDIS_URL must be rediss:// (Redis speaks only TLS)",
        "data: image tags must be immutable",
    ]


def test_the_data_stack_deploys_to_moto_with_what_moto_cannot_create_made_aside():
    """data.yaml as written, but for the resources moto has no model for."""
    template = for_moto(DATA)
    # Made through moto's API instead; a new moto that models more fails here.
    assert {name: r["Type"] for name, r in template.replaced.items()} == {
        **{
            secret: "AWS::SecretsManager::Secret"
            for secret in (
                "DjangoSecretKey",
                "JwtSecret",
                "HealthToken",
                "EmailHostPasswordSecret",
                "DatabasePassword",
                "DatabaseUrl",
                "RedisAuthToken",
                "RedisUrl",
            )
        },
        "DatabaseParameters": "AWS::RDS::DBParameterGroup",
        "RedisSubnets": "AWS::ElastiCache::SubnetGroup",
        "Redis": "AWS::ElastiCache::ReplicationGroup",
    }
    with mock_aws():
        network_outputs = {
            o["OutputKey"]: o["OutputValue"] for o in created("nat")["Outputs"]
        }

        def client(name):
            return boto3.client(name, region_name=REGION)

        stack = create_data_stack(client, "test")
        assert stack["StackStatus"] == "CREATE_COMPLETE", stack
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
        (database,) = client("rds").describe_db_instances()["DBInstances"]
        assert outputs["DatabaseAddress"] == database["Endpoint"]["Address"]
        assert (database["Engine"], database["EngineVersion"]) == ("postgres", "17.7")
        assert database["StorageEncrypted"]
        assert database["MultiAZ"]
        assert not database["PubliclyAccessible"]
        assert database["BackupRetentionPeriod"] == 14
        assert outputs["KeyArn"].endswith(database["KmsKeyId"])
        subnets = {s["SubnetIdentifier"] for s in database["DBSubnetGroup"]["Subnets"]}
        assert subnets == set(network_outputs["PrivateSubnets"].split(","))
        # (moto gives the instance the default security group whatever the
        # template says: the group is checked by the network test above.)
        assert [g["DBParameterGroupName"] for g in database["DBParameterGroups"]] == [
            "fastship-test-postgres17"
        ]
        (repository,) = client("ecr").describe_repositories()["repositories"]
        assert repository["imageTagMutability"] == "IMMUTABLE"
        assert outputs["RepositoryUri"] == repository["repositoryUri"]
        secrets = {
            s["Name"]: s["ARN"]
            for s in client("secretsmanager").list_secrets()["SecretList"]
        }
        assert outputs["SecretArns"].split(",") == [
            secrets[f"fastship/test/{name}"]
            for name in (
                "DJANGO_SECRET_KEY",
                "JWT_SECRET",
                "DATABASE_URL",
                "REDIS_URL",
                "EMAIL_HOST_PASSWORD",
                "HEALTH_TOKEN",
            )
        ]
        exports = {
            e["Name"] for e in client("cloudformation").list_exports()["Exports"]
        }
        assert {
            "fastship-test-data-key",
            "fastship-test-data-repository",
            "fastship-test-data-secrets",
        } <= exports
