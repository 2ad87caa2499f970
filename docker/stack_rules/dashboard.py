"""The application stack's dashboard shows what the application writes.

Its body is JSON inside an ``!Sub``: checked here to parse (placeholders
filled), to draw each metric fastship/metrics.py and fastship/metric_series.py
write, and the load balancer's and the database's own metrics beside them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from stack_rules.common import HERE, literal_assignments

AWS_NAMESPACES = ("AWS/ApplicationELB", "AWS/RDS")


def series_metric_names() -> set[str]:
    """The metric names fastship/metric_series.py writes (read without Django)."""
    constants = literal_assignments(HERE.parent / "fastship/metric_series.py")
    return {
        value
        for name, value in constants.items()
        if name.isupper() and isinstance(value, str) and value[:1].isupper()
    }


def dashboard_problems(template: dict[str, Any], metrics: set[str]) -> list[str]:
    dashboard = template.get("Resources", {}).get("Dashboard", {})
    if dashboard.get("Type") != "AWS::CloudWatch::Dashboard":
        return ["Dashboard: the application stack needs its CloudWatch dashboard"]
    body = dashboard["Properties"].get("DashboardBody", {})
    text = body.get("Fn::Sub", [""])[0] if isinstance(body, dict) else body
    if not isinstance(text, str):
        return ["Dashboard: its body must be one JSON text (in an !Sub)"]
    try:
        json.loads(re.sub(r"\$\{[^}]+\}", "x", text))
    except ValueError as error:
        return [f"Dashboard: its body is not JSON once substituted ({error})"]
    problems = [
        f"Dashboard: does not draw {name}"
        for name in sorted(metrics)
        if f'"{name}"' not in text and f'\\"{name}\\"' not in text
    ]
    problems += [
        f"Dashboard: does not draw the {namespace} metrics"
        for namespace in AWS_NAMESPACES
        if namespace not in text
    ]
    return problems
