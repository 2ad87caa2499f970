"""Base classes of the API views and input serializers (nothing of the domain)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


class SharedFieldsSerializer(serializers.Serializer):
    """An input serializer whose fields are copied once per class.

    DRF deep-copies every declared field for every serializer instance (a
    fifteenth of a list request, for its query parameters). The fields of an
    input serializer hold no state of their own between calls, so one bound
    copy per class serves every request. Not for serializers that change
    their fields per instance, or whose fields read the context.
    """

    @property
    def fields(self) -> Any:
        shared = type(self).__dict__.get("_shared_fields")
        if shared is None:
            shared = super().fields
            type.__setattr__(type(self), "_shared_fields", shared)
        return shared


class StrictSerializer(SharedFieldsSerializer):
    """Refuses fields it does not know, and numbers where text is expected.

    A typo must not be silently ignored, and DRF's text fields would turn
    ``0`` or ``true`` into ``"0"`` and ``"True"``: the schema says string.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field is not allowed here."] for name in unknown},
                    code="unknown_field",
                )
            not_text = {
                name: ["Not a valid string."]
                for name, field in self.fields.items()
                if name in data and not _is_text_for(field, data[name])
            }
            if not_text:
                raise serializers.ValidationError(not_text, code="invalid")
        return super().to_internal_value(data)


def _is_text_for(field: serializers.Field, value: Any) -> bool:
    """False when ``field`` takes text (or a list of text) and ``value`` is not."""
    if isinstance(field, serializers.CharField) and not isinstance(
        field, serializers.DecimalField
    ):
        return value is None or isinstance(value, str)
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        return all(_is_text_for(field.child, item) for item in value)
    return True


class PublicApi(APIView):
    """A route anyone may call: no authentication (so no database lookup for it)."""

    authentication_classes: list[Any] = []  # noqa: RUF012 - DRF's own attribute
    permission_classes = [AllowAny]  # noqa: RUF012 - DRF's own attribute
