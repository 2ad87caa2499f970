"""The webhook payloads in the API schema (a schema post-processing hook)."""

from __future__ import annotations

from typing import Any

from shipping.models import WebhookEndpoint

HEADERS = (
    "Every delivery is a POST with this JSON body and the Standard Webhooks 1.0 "
    "headers: `webhook-id` (the same on every retry: deduplicate by it), "
    "`webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature` "
    "(`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` with the endpoint's "
    "secret, base64-decoded after `whsec_`; during a rotation two signatures, "
    "space-separated). Any 2xx within 10 s is success; anything else is retried "
    "with backoff for about a day."
)


def document_webhooks(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Add ``WebhookEvent`` and one ``x-webhooks`` entry per event type."""
    events = [event.value for event in WebhookEndpoint.Event]
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["WebhookEvent"] = {
        "type": "object",
        "description": HEADERS,
        "required": ["type", "timestamp", "livemode", "data"],
        "properties": {
            "type": {"type": "string", "enum": events},
            "timestamp": {"type": "string", "format": "date-time"},
            "livemode": {
                "type": "boolean",
                "description": "False for a test shipment's event (a test key's).",
            },
            "data": {"$ref": "#/components/schemas/ShipmentOutput"},
        },
    }
    body = {
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/WebhookEvent"}
            }
        }
    }
    result["x-webhooks"] = {
        event: {
            "post": {
                "summary": f"{event}: sent to endpoints subscribed to it",
                "description": HEADERS,
                "requestBody": body,
                "responses": {"2XX": {"description": "Received."}},
            }
        }
        for event in events
    }
    schemas["WebhookPing"] = {
        "type": "object",
        "description": "A seller's test ping (POST /api/v1/webhooks/{id}/test/), "
        "signed and sent like an event, to that endpoint only.",
        "required": ["type", "timestamp", "livemode", "data"],
        "properties": {
            "type": {"type": "string", "enum": [WebhookEndpoint.PING]},
            "timestamp": {"type": "string", "format": "date-time"},
            "livemode": {"type": "boolean"},
            "data": {
                "type": "object",
                "required": ["webhook_id", "url"],
                "properties": {
                    "webhook_id": {"type": "string", "format": "uuid"},
                    "url": {"type": "string", "format": "uri"},
                },
            },
        },
    }
    result["x-webhooks"][WebhookEndpoint.PING] = {
        "post": {
            "summary": f"{WebhookEndpoint.PING}: sent when you ask for a test",
            "description": HEADERS,
            "requestBody": {
                "content": {
                    "application/json": {
                        "schema": {"$ref": "#/components/schemas/WebhookPing"}
                    }
                }
            },
            "responses": {"2XX": {"description": "Received."}},
        }
    }
    return result
