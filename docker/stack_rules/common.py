"""Reading the templates: cfn-lint's parser and helpers over intrinsic functions."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent.parent  # docker/
CLOUDFORMATION = HERE / "cloudformation"


def load_template(path: Path) -> dict[str, Any]:
    """A CloudFormation template, its short-form tags (!Ref, !Sub...) as dicts."""
    from cfnlint.decode import decode

    template, matches = decode(str(path))
    if matches or template is None:
        raise ValueError(f"{path}: {[str(match) for match in matches]}")
    return dict(template)


def literal_assignments(path: Path) -> dict[str, Any]:
    """``NAME = <literal>`` at the top of a Python file, read without running it."""
    found: dict[str, Any] = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and isinstance(node.value, ast.Constant):
                found[target.id] = node.value.value
    return found


def gunicorn_settings(path: Path = HERE / "gunicorn.conf.py") -> dict[str, Any]:
    """The literal numbers of gunicorn.conf.py."""
    return literal_assignments(path)


def texts(value: Any) -> list[str]:
    """Every literal string inside ``value``: !Sub texts, both arms of an !If."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in texts(item)]
    if isinstance(value, dict):
        if "Fn::Sub" in value:
            sub = value["Fn::Sub"]
            return texts(sub[0] if isinstance(sub, list) else sub)
        if "Fn::If" in value:
            return texts(value["Fn::If"][1:])
        return [text for item in value.values() for text in texts(item)]
    return []


def imported(secret: dict[str, Any]) -> str:
    """The export name a secret's ValueFrom imports ("" if it imports none)."""
    value_from = secret.get("ValueFrom")
    if not isinstance(value_from, dict):
        return ""
    found = texts(value_from.get("Fn::ImportValue"))
    return found[0] if len(found) == 1 else ""


def attributes(properties: dict[str, Any], key: str) -> dict[str, Any]:
    return {item["Key"]: item["Value"] for item in properties.get(key, [])}


def refs(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [item.get("Ref", "") for item in items if isinstance(item, dict)]
