"""The data stack: TLS to PostgreSQL and Redis end to end, immutable images."""

from __future__ import annotations

import re
from typing import Any

from stack_rules.common import texts


def _secret_string(resource: dict[str, Any]) -> str:
    """A secret's text (the template of a ``!Sub``); "" when it has none."""
    found = texts(resource.get("Properties", {}).get("SecretString", ""))
    return found[0] if found else ""


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
    statements = (
        resources.get("Key", {})
        .get("Properties", {})
        .get("KeyPolicy", {})
        .get("Statement", [])
    )
    if not any(
        statement.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
        and "kms:GenerateDataKey*" in statement.get("Action", [])
        for statement in statements
    ):
        problems.append("data: the key must let CloudWatch alarms publish to the topic")
    repository = resources.get("Repository", {}).get("Properties", {})
    if repository.get("ImageTagMutability") != "IMMUTABLE":
        problems.append("data: image tags must be immutable")
    return problems
