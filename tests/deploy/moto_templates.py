"""A template as moto can create it: every resource moto models, as written.

moto has no CloudFormation model for some resource types (ElastiCache and
Secrets Manager among them), and one it models breaks when referenced (a
``Ref`` to its RDS parameter group gives the DB instance an object where it
wants a name). ``for_moto`` keeps every
other resource of the real template unchanged and turns each of those into a
parameter of the same name: a ``Ref`` to it, a ``${Name}`` in a ``Fn::Sub`` and a
``Fn::GetAtt`` of it (as the parameter ``<Name><Attribute>``) then read the
value the test gives, e.g. the ARN of a secret it created through moto's API.
Nothing is written by hand, so the stand-in cannot drift from the template.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class MotoTemplate:
    body: str
    # Each resource moto cannot create: logical name -> its definition.
    replaced: dict[str, dict[str, Any]]
    # Parameters standing for those resources' Refs and attributes.
    stand_ins: set[str] = field(default_factory=set)


# Modelled by moto, but a DB instance that refers to one fails (moto 5.2.5).
BROKEN_IN_MOTO = {"AWS::RDS::DBParameterGroup"}


def _creatable_types() -> set[str]:
    from moto.cloudformation.parsing import get_model_map

    return set(get_model_map()) - BROKEN_IN_MOTO


def for_moto(path: Path) -> MotoTemplate:
    from cfnlint.decode import cfn_yaml

    template = json.loads(json.dumps(cfn_yaml.loads(path.read_text())))
    creatable = _creatable_types()
    resources = template["Resources"]
    replaced = {
        name: resource
        for name, resource in resources.items()
        if resource["Type"] not in creatable
    }
    result = MotoTemplate(body="", replaced=replaced)

    def stand_in(name: str) -> str:
        result.stand_ins.add(name)
        return name

    def sub(text: str) -> str:
        def one(match: re.Match[str]) -> str:
            target, _, attribute = match[1].partition(".")
            if target not in replaced:
                return match[0]
            return "${" + stand_in(target + attribute.replace(".", "")) + "}"

        return re.sub(r"\$\{([A-Za-z0-9.]+)\}", one, text)

    def rewrite(node: Any) -> Any:
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Ref"} and node["Ref"] in replaced:
            return {"Ref": stand_in(node["Ref"])}
        if set(node) == {"Fn::GetAtt"}:
            target, attribute = (
                node["Fn::GetAtt"]
                if isinstance(node["Fn::GetAtt"], list)
                else node["Fn::GetAtt"].split(".", 1)
            )
            if target in replaced:
                return {"Ref": stand_in(target + attribute.replace(".", ""))}
        if set(node) == {"Fn::Sub"}:
            value = node["Fn::Sub"]
            if isinstance(value, str):
                return {"Fn::Sub": sub(value)}
            return {"Fn::Sub": [sub(value[0]), rewrite(value[1])]}
        return {key: rewrite(value) for key, value in node.items()}

    template["Resources"] = rewrite(
        {name: r for name, r in resources.items() if name not in replaced}
    )
    template["Outputs"] = rewrite(template.get("Outputs", {}))
    for name in sorted(result.stand_ins):
        template.setdefault("Parameters", {})[name] = {
            "Type": "String",
            "Description": "stands for a resource moto cannot create",
        }
    result.body = json.dumps(template)
    return result


DATA_TEMPLATE = Path(__file__).parents[2] / "docker" / "cloudformation" / "data.yaml"


def create_data_stack(client: Any, environment: str) -> dict[str, Any]:
    """Create data.yaml in moto as ``fastship-<environment>-data``; return it.

    ``client(name)`` gives a boto3 client. What moto cannot create is made
    through its API as the template declares it: each secret (by its name),
    and the RDS parameter group with the template's parameters. The Redis
    endpoint, which only ElastiCache would know, is a name that resolves
    nowhere.
    """
    template = for_moto(DATA_TEMPLATE)

    def declared_name(resource: dict[str, Any]) -> str:
        name = resource["Properties"]["Name"]
        return str(name["Fn::Sub"]).replace("${Environment}", environment)

    values: dict[str, str] = {}
    for name in sorted(template.stand_ins):
        resource = template.replaced.get(name, {})
        if resource.get("Type") == "AWS::SecretsManager::Secret":
            values[name] = client("secretsmanager").create_secret(
                Name=declared_name(resource), SecretString="stand-in"
            )["ARN"]
        elif resource.get("Type") == "AWS::RDS::DBParameterGroup":
            properties = resource["Properties"]
            rds = client("rds")
            group = f"fastship-{environment}-{properties['Family']}"
            rds.create_db_parameter_group(
                DBParameterGroupName=group,
                DBParameterGroupFamily=properties["Family"],
                Description=properties["Description"],
            )
            rds.modify_db_parameter_group(
                DBParameterGroupName=group,
                Parameters=[
                    {
                        "ParameterName": key,
                        "ParameterValue": value,
                        "ApplyMethod": "pending-reboot",
                    }
                    for key, value in properties["Parameters"].items()
                ],
            )
            values[name] = group
        else:
            values[name] = f"{name.lower()}.moto-has-no-model.invalid"
    stack_name = f"fastship-{environment}-data"
    cloudformation = client("cloudformation")
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=template.body,
        Parameters=[
            {"ParameterKey": "Environment", "ParameterValue": environment},
            {"ParameterKey": "EmailHostPassword", "ParameterValue": "stand-in"},
        ]
        + [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    return dict(stack)
