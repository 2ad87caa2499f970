"""Schema generation: error responses documented, components named without clashes."""

from __future__ import annotations

from typing import Any

from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema


class AutoSchema(StandardizedErrorsAutoSchema):
    """Name nested serializers after their view (``ShipmentDetailApi.UpdateSerializer``
    becomes ``ShipmentDetailUpdate``), so every view can call its own ``InputSerializer``."""

    def get_serializer_name(self, serializer: Any, direction: str) -> str:
        qualified = type(serializer).__qualname__
        if "." not in qualified:
            return str(super().get_serializer_name(serializer, direction))
        view_name, _, inner = qualified.rpartition(".")
        return view_name.replace(".", "").removesuffix("Api") + inner.removesuffix("Serializer")
