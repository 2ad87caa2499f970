#!/usr/bin/env python3
"""The --parameters JSON of a create-stack or update-stack call (docker/deploy.sh).

Usage: stack_parameters.py TEMPLATE PREVIOUS Key=value...
PREVIOUS is the stack's current Parameters as JSON (describe-stacks), or "".

A given Key=value wins; a parameter the stack already has keeps its value
(written out; a NoEcho one, shown as ****, by UsePreviousValue) unless that is
the template's default, which then follows the template; any other takes the
template's default. Keys the template does not declare are refused,
so a typo never passes silently.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from cfnlint.decode import decode


def parameters(
    declared: dict[str, dict[str, object]], previous: dict[str, str], given: list[str]
) -> list[dict[str, object]]:
    values: dict[str, str] = {}
    for pair in given:
        key, separator, value = pair.partition("=")
        if not separator or key not in declared:
            raise SystemExit(f"stack_parameters: {key!r} is not a template parameter")
        values[key] = value
    found: list[dict[str, object]] = [
        {"ParameterKey": key, "ParameterValue": value} for key, value in values.items()
    ]
    for key in sorted(set(declared) & set(previous) - set(values)):
        default = declared[key].get("Default")
        if default is not None and str(default) == previous[key]:
            continue
        if previous[key] == "****":  # NoEcho: the value is not shown to us
            found.append({"ParameterKey": key, "UsePreviousValue": True})
        else:
            found.append({"ParameterKey": key, "ParameterValue": previous[key]})
    return found


def main(argv: list[str]) -> None:
    template, matches = decode(argv[0])
    if matches or template is None:
        raise SystemExit(f"stack_parameters: {Path(argv[0]).name} does not parse")
    previous = {
        item["ParameterKey"]: item.get("ParameterValue", "")
        for item in (json.loads(argv[1]) if argv[1].strip() else None) or []
    }
    declared = {
        key: dict(value) for key, value in template.get("Parameters", {}).items()
    }
    print(json.dumps(parameters(declared, previous, argv[2:])))


if __name__ == "__main__":
    main(sys.argv[1:])
