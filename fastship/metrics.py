"""The application's own CloudWatch metrics, as embedded-metric-format log lines.

A line on stdout whose JSON holds an ``_aws`` block becomes a metric when the
awslogs driver ships it to CloudWatch Logs: no agent and no API call, so a
metric can never wait on the network. Off unless
``CLOUDWATCH_METRICS_NAMESPACE`` is set (the application stack sets
``FastShip/<environment>``; its alarms watch the names below).
"""

from __future__ import annotations

import json
import logging
import time

# Metric names; docker/ecs_rules.py checks the application stack alarms on each.
OLDEST_PENDING_NOTIFICATION = "OldestPendingNotificationAgeSeconds"
REQUEST_LOG_DROPPED = "RequestLogRecordsDropped"
REQUEST_LOG_FALLBACK = "RequestLogRecordsFallback"
UNITS = {
    OLDEST_PENDING_NOTIFICATION: "Seconds",
    REQUEST_LOG_DROPPED: "Count",
    REQUEST_LOG_FALLBACK: "Count",
}

logger = logging.getLogger("fastship.metrics")


def emf_line(namespace: str, values: dict[str, float], *, now: float) -> str:
    """One embedded-metric-format document holding ``values`` (no dimensions)."""
    return json.dumps(
        {
            "_aws": {
                "Timestamp": int(now * 1000),
                "CloudWatchMetrics": [
                    {
                        "Namespace": namespace,
                        "Dimensions": [[]],
                        "Metrics": [
                            {"Name": name, "Unit": UNITS[name]} for name in values
                        ],
                    }
                ],
            },
            **values,
        }
    )


def enabled() -> bool:
    from django.conf import settings

    return bool(settings.CLOUDWATCH_METRICS_NAMESPACE)


def emit(values: dict[str, float]) -> None:
    """Write ``values`` as one metric line on stdout, when metrics are on."""
    from django.conf import settings

    namespace = settings.CLOUDWATCH_METRICS_NAMESPACE
    if namespace and values:
        logger.info(emf_line(namespace, values, now=time.time()))
