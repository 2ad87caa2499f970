"""docker/deploy.sh against moto's server (a local AWS API emulator), not a stub.

From an empty account: the network stack through the script, the data stack
from data.yaml (what moto cannot create, its secrets and Redis, made through
its API instead: tests/deploy/moto_templates.py), then releases. moto
does not re-evaluate a template's conditions on update, so what a phase
changes is read from the stack's parameters: the templates' rules
(tests/deploy/test_ecs_rules.py) prove the services run ImageTag and the
migrate task MigrateImageTag.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

from tests.deploy.moto_templates import create_data_stack
from tests.servers import PROJECT_DIR, ServerProcess, free_port, http_request

BIN = Path(sys.executable).parent
OLD, NEW = "3f2a9c1d0e4b", "4a5b6c7d8e9f"


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


def moto_api(endpoint: str, path: str, body: dict | None = None) -> None:
    request = urllib.request.Request(
        f"{endpoint}/moto-api/{path}",
        data=json.dumps(body or {}).encode(),
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).close()


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
        "ENVIRONMENT": "test",
    }


def deploy(
    endpoint: str, *args: str, project: Path = PROJECT_DIR, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "docker/deploy.sh", *args],
        cwd=project,
        env={**aws_env(endpoint), **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def account(moto):
    """An emptied account with the network (by the script) and data stacks."""
    moto_api(moto, "reset")
    session = boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="eu-west-1",
    )
    clients = {
        name: session.client(name, endpoint_url=moto)
        for name in ("cloudformation", "ecr", "ecs", "secretsmanager", "acm", "rds")
    }
    result = deploy(moto, "network")
    assert result.returncode == 0, result.stdout + result.stderr
    data = create_data_stack(clients.__getitem__, "test")
    assert data["StackStatus"] == "CREATE_COMPLETE", data
    for number, tag in enumerate((OLD, NEW)):
        clients["ecr"].put_image(
            repositoryName="fastship-test",
            imageTag=tag,
            imageManifest=json.dumps(
                {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                    "config": {
                        "mediaType": "application/vnd.docker.container.image.v1+json",
                        "size": 7023,
                        "digest": f"sha256:{number:064x}",
                    },
                    "layers": [],
                }
            ),
        )
    certificate = clients["acm"].request_certificate(DomainName="api.fastship.example")[
        "CertificateArn"
    ]
    release = {
        "SKIP_BUILD": "1",
        "CERTIFICATE_ARN": certificate,
        "API_HOSTNAME": "api.fastship.example",
        "ALARM_EMAIL": "ops@fastship.example",
        "EMAIL_HOST": "email-smtp.eu-west-1.amazonaws.com",
        "EMAIL_HOST_USER": "AKIAEXAMPLE",
        "DEFAULT_FROM_EMAIL": "FastShip <no-reply@fastship.example>",
        "MIGRATE_POLL_SECONDS": "1",
    }
    return {**clients, "release": release}


def app_parameters(cloudformation) -> dict[str, str]:
    (stack,) = cloudformation.describe_stacks(StackName="fastship-test-app")["Stacks"]
    return {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}


def migrate_runs(ecs) -> int:
    return sum(
        len(ecs.list_tasks(cluster="fastship-test", desiredStatus=status)["taskArns"])
        for status in ("RUNNING", "STOPPED")
    )


def test_from_an_empty_account_to_a_second_release(moto, account):
    """First release creates the stack serving nothing, migrates, then serves."""
    cloudformation, ecs = account["cloudformation"], account["ecs"]
    result = deploy(moto, IMAGE_TAG=OLD, **account["release"])
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    created = lines.index("deploy: fastship-test-app: created")
    assert lines[created + 1] == "deploy: migrations applied"
    assert lines[created + 2] == "deploy: fastship-test-app: updated"
    assert "point api.fastship.example at fastship-test-1." in lines[-1]
    parameters = app_parameters(cloudformation)
    assert (parameters["ImageTag"], parameters["MigrateImageTag"]) == (OLD, OLD)
    assert parameters["AlarmEmail"] == "ops@fastship.example"
    services = ecs.describe_services(
        cluster="fastship-test", services=["fastship-api-test", "fastship-worker-test"]
    )["services"]
    assert [s["status"] for s in services] == ["ACTIVE", "ACTIVE"]
    assert migrate_runs(ecs) == 1

    # A second release with only the new tag: every other parameter is kept.
    result = deploy(moto, IMAGE_TAG=NEW, SKIP_BUILD="1", MIGRATE_POLL_SECONDS="1")
    assert result.returncode == 0, result.stdout + result.stderr
    parameters = app_parameters(cloudformation)
    assert (parameters["ImageTag"], parameters["MigrateImageTag"]) == (NEW, NEW)
    assert parameters["AlarmEmail"] == "ops@fastship.example"
    assert parameters["ApiHostname"] == "api.fastship.example"
    assert migrate_runs(ecs) == 2


def test_migrations_that_do_not_finish_leave_the_services_on_the_old_image(
    moto, account
):
    """Phase 1 happened (migrate task on the new tag), phase 2 did not."""
    result = deploy(moto, IMAGE_TAG=OLD, **account["release"])
    assert result.returncode == 0, result.stdout + result.stderr
    moto_api(
        moto,
        "state-manager/set-transition",
        {
            "model_name": "ecs::task",
            # The task's status moves on only after this many reads: never,
            # within the deploy's 3 s (times=1 moved it on at every poll, so a
            # fast machine saw the task finish).
            "transition": {"progression": "manual", "times": 1_000_000},
        },
    )
    try:
        result = deploy(
            moto,
            IMAGE_TAG=NEW,
            SKIP_BUILD="1",
            MIGRATE_TIMEOUT="3",
            MIGRATE_POLL_SECONDS="1",
        )
    finally:
        moto_api(moto, "state-manager/unset-transition", {"model_name": "ecs::task"})
    assert result.returncode != 0
    assert "deploy: migrations still " in result.stderr
    assert "after 3s" in result.stderr
    parameters = app_parameters(account["cloudformation"])
    assert (parameters["ImageTag"], parameters["MigrateImageTag"]) == (OLD, NEW)


def test_an_image_not_in_the_repository_stops_before_any_stack_changes(moto, account):
    result = deploy(moto, IMAGE_TAG="0badc0ffee00", **account["release"])
    assert result.returncode != 0
    assert "fastship-test:0badc0ffee00 is not in the repository" in result.stderr
    stacks = account["cloudformation"].list_stacks()["StackSummaries"]
    assert "fastship-test-app" not in {s["StackName"] for s in stacks}


def test_a_template_the_linters_refuse_stops_before_any_stack_changes(
    moto, account, tmp_path
):
    """cfn-lint and the rules run first: a broken copy changes nothing in AWS."""
    import shutil

    shutil.copytree(PROJECT_DIR / "docker", tmp_path / "docker")
    (tmp_path / "fastship").mkdir()
    shutil.copy(PROJECT_DIR / "fastship/metrics.py", tmp_path / "fastship")
    template = tmp_path / "docker/cloudformation/app.yaml"
    template.write_text(
        template.read_text().replace(
            "HealthCheckIntervalSeconds: 15", "HealthCheckIntervalSeconds: 1500"
        )
    )
    result = deploy(moto, IMAGE_TAG=OLD, project=tmp_path, **account["release"])
    assert result.returncode != 0
    assert "E3034 1500 is greater than the maximum of 300" in result.stdout
    assert "cfn-lint found problems" in result.stderr
    stacks = account["cloudformation"].list_stacks()["StackSummaries"]
    assert "fastship-test-app" not in {s["StackName"] for s in stacks}


def test_a_release_needs_the_network_and_data_stacks(moto, account):
    """An environment without its stacks is refused, naming the command to run."""
    result = deploy(moto, IMAGE_TAG=OLD, ENVIRONMENT="staging", **account["release"])
    assert result.returncode != 0
    assert (
        "no stack fastship-staging-network: run 'docker/deploy.sh network' first"
        in result.stderr
    )


def test_the_network_again_keeps_the_parameters_it_was_given(moto, account):
    """Running a stack's command again is safe (on AWS: "no changes")."""
    result = deploy(moto, "network")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "fastship-test-network: updated" in result.stdout
    (stack,) = account["cloudformation"].describe_stacks(
        StackName="fastship-test-network"
    )["Stacks"]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters["Environment"] == "test"
    assert parameters["VpcCidr"] == "10.0.0.0/16"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ENVIRONMENT": ""}, "ENVIRONMENT is required"),
        ({"IMAGE_TAG": "latest"}, "immutable"),
        ({"IMAGE_TAG": "repo:tag"}, "immutable"),
    ],
)
def test_bad_input_stops_before_anything(moto, env, message):
    result = deploy(moto, **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_an_unknown_command_is_refused(moto):
    result = deploy(moto, "everything")
    assert result.returncode != 0
    assert "usage:" in result.stderr


def test_stack_parameters_keep_previous_values_and_refuse_typos(tmp_path):
    """Given values win, defaults follow the template, NoEcho ones are kept blind."""
    sys.path.insert(0, str(PROJECT_DIR / "docker"))
    try:
        from stack_parameters import parameters
    finally:
        sys.path.pop(0)
    declared = {"A": {}, "B": {"Default": "1"}, "C": {}, "D": {"Default": "x"}}
    previous = {"A": "old", "B": "1", "C": "****", "D": "changed", "Gone": "v"}
    assert parameters(declared, previous, ["A=new"]) == [
        {"ParameterKey": "A", "ParameterValue": "new"},
        {"ParameterKey": "C", "UsePreviousValue": True},
        {"ParameterKey": "D", "ParameterValue": "changed"},
    ]
    with pytest.raises(SystemExit, match="'Typo' is not a template parameter"):
        parameters(declared, previous, ["Typo=1"])


def test_every_parameter_a_first_deploy_needs_can_be_given_to_the_script():
    """Each stack's parameters without a default are ones deploy.sh passes or
    reads from a variable the deploy guide names, and every variable maps to a
    parameter its template declares (the data stack is not run in moto)."""
    from tests.deploy.test_ecs_rules import rules

    script = (PROJECT_DIR / "docker/deploy.sh").read_text().replace("\\\n", " ")
    guide = (PROJECT_DIR / "docs" / "deploy.md").read_text()
    given: dict[str, set[str]] = {}
    for found in re.finditer(
        r"mapfile -t (\w+) < <\(overrides ([A-Z_: A-Za-z]+)\)", script
    ):
        array, variables = found.groups()
        call = re.compile(
            rf"deploy_stack \S+ (\w+)\.yaml \"\$\{{{array}\[@\]\}}\"(.*)"
        ).search(script, found.end())
        assert call, array
        template, literal = call.groups()
        pairs = [pair.split(":") for pair in variables.split()]
        given[template] = {parameter for _, parameter in pairs} | {"Environment"}
        given[template] |= set(re.findall(r"\"(\w+)=", literal))
        declared = rules.load_template(
            PROJECT_DIR / f"docker/cloudformation/{template}.yaml"
        )["Parameters"]
        for variable, parameter in pairs:
            assert parameter in declared, f"{variable} → {parameter} not in {template}"
        required = {name for name, p in declared.items() if "Default" not in p}
        assert required <= given[template], (template, required - given[template])
        for variable, parameter in pairs:
            if parameter in required:
                assert variable in guide, f"docs/deploy.md never names {variable}"
    assert set(given) == {"network", "data", "app"}
