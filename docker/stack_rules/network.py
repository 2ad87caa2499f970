"""The network stack: a private task reaches what it needs in both Egress variants."""

from __future__ import annotations

from typing import Any

from stack_rules.common import refs

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
        elif kind == "Gateway" and sorted(refs(found.get("RouteTableIds"))) != sorted(
            PRIVATE_ROUTE_TABLES
        ):
            problems.append(
                f"network: the {service} endpoint must route both private tables"
            )
        elif kind == "Interface" and (
            sorted(refs(found.get("SubnetIds"))) != sorted(PRIVATE_SUBNETS)
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
