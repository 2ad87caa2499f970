"""Schema generation: error responses documented, components named without clashes."""

from __future__ import annotations

from typing import Any

from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema

from fastship.api.base import StrictSerializer
from fastship.api.domain_error import DomainError


class AutoSchema(StandardizedErrorsAutoSchema):
    """Name nested serializers after their view, so each view has its own ``Input``.

    ``ShipmentDetailApi.UpdateSerializer`` becomes ``ShipmentDetailUpdate``.
    """

    def _map_serializer(
        self, serializer: Any, direction: str, bypass_extensions: bool = False
    ) -> dict[str, Any]:

        schema: dict[str, Any] = super()._map_serializer(
            serializer, direction, bypass_extensions
        )
        if direction == "request" and isinstance(serializer, StrictSerializer):
            schema["additionalProperties"] = False  # the server refuses unknown fields
        return schema

    def get_operation(self, *args: Any, **kwargs: Any) -> Any:
        """The operation, with the API-key scope it needs (``key_scopes`` of
        the view) as ``x-api-key-scope`` and in its description."""
        operation = super().get_operation(*args, **kwargs)
        scopes = getattr(self.view, "key_scopes", None)
        if operation is None or scopes is None:
            return operation
        method = self.method.upper()
        scope = scopes.get(method) or (scopes.get("GET") if method == "HEAD" else None)
        if scope is not None and method not in getattr(self.view, "logins_only", ()):
            operation["x-api-key-scope"] = scope
            note = f"API key scope: `{scope}`."
            text = operation.get("description", "")
            operation["description"] = f"{text}\n\n{note}" if text else note
        return operation

    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        qualified = type(serializer).__qualname__
        if "." not in qualified:
            return str(super().get_serializer_name(serializer, direction))
        view_name, _, inner = qualified.rpartition(".")
        return view_name.replace(".", "").removesuffix("Api") + inner.removesuffix(
            "Serializer"
        )


# DRF's own field and request error codes, which any input can produce.
GENERIC_CODES = (
    "invalid",
    "required",
    "null",
    "blank",
    "empty",
    "max_length",
    "min_length",
    "max_value",
    "min_value",
    "max_digits",
    "max_decimal_places",
    "max_whole_digits",
    "max_string_length",
    "invalid_choice",
    "not_a_list",
    "not_a_dict",
    "date",
    "datetime",
    "make_aware",
    "overflow",
    "surrogate_characters_not_allowed",
    "null_characters_not_allowed",
    "unique",
    "unknown_field",
    "parse_error",
    "invalid_credentials",
    "authentication_failed",
    "not_authenticated",
    "permission_denied",
    "insufficient_scope",
    "not_found",
    "method_not_allowed",
    "unsupported_media_type",
    "request_too_large",
    "throttled",
    "service_unavailable",
    # Paged lists (fastship.api.pagination).
    "invalid_cursor",
    "page_too_deep",
    "too_many_fields",
)
ERROR_STATUSES = ("400", "401", "403", "404", "409", "413", "415", "429", "503")


def _domain_errors() -> list[type[DomainError]]:
    """Every domain error defined (the subclasses register themselves)."""
    return list(DomainError.registered)


def document_domain_errors(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook: document every error code we answer.

    drf-standardized-errors documents the errors DRF itself raises; the
    domain's own codes (``invalid_transition``, ``no_partner_available``...),
    413 and 409 are added here, with one example per code.
    """
    errors = _domain_errors()
    codes = sorted({*GENERIC_CODES, *(error.code for error in errors)})
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ApiError"] = {
        "type": "object",
        "required": ["code", "detail", "attr"],
        "properties": {
            "code": {"type": "string", "enum": codes},
            "detail": {"type": "string"},
            "attr": {"type": "string", "nullable": True},
        },
    }
    schemas["ApiErrorResponse"] = {
        "type": "object",
        "required": ["type", "errors"],
        "properties": {
            "type": {
                "type": "string",
                "enum": ["validation_error", "client_error", "server_error"],
            },
            "errors": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/ApiError"},
            },
        },
    }
    reference = {"$ref": "#/components/schemas/ApiErrorResponse"}
    examples_by_status: dict[str, dict[str, Any]] = {}
    for error in errors:
        kind = "validation_error" if error.status_code == 400 else "client_error"
        examples_by_status.setdefault(str(error.status_code), {})[error.__name__] = {
            "value": {
                "type": kind,
                "errors": [
                    {"code": error.code, "detail": error.default_message, "attr": None}
                ],
            }
        }
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for status in ERROR_STATUSES:
                examples = examples_by_status.get(status, {})
                existing = responses.get(status)
                if existing is None:
                    content: dict[str, Any] = {"schema": reference}
                    if examples:
                        content["examples"] = examples
                    responses[status] = {
                        "description": "Error",
                        "content": {"application/json": content},
                    }
                    continue
                media = existing.setdefault("content", {}).setdefault(
                    "application/json", {}
                )
                original = media.get("schema")
                media["schema"] = (
                    {"anyOf": [original, reference]} if original else reference
                )
                if examples:
                    media.setdefault("examples", {}).update(examples)
    return result


DEPRECATED_PARAMETERS = frozenset({"page"})


def mark_deprecated_parameters(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook: ``page`` (number) is deprecated."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("name") in DEPRECATED_PARAMETERS:
                    parameter["deprecated"] = True
    return result
