"""Input fields of a shipment's create: recipient lines and the seller's metadata."""

from __future__ import annotations

import json
import re
from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ValidationError

METADATA_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,40}$")
METADATA_MAX_KEYS = 20
METADATA_MAX_BYTES = 4096
# Printable text on one line: no control characters (a label prints it).
ONE_LINE = re.compile(r"^[^\x00-\x1f\x7f]*$")


def line_field(max_length: int) -> serializers.CharField:
    """An optional line of a recipient's name or address (printed on the label)."""
    return serializers.RegexField(
        ONE_LINE,
        max_length=max_length,
        required=False,
        allow_blank=True,
        error_messages={"invalid": "Use one line of text without control characters."},
    )


class MetadataField(serializers.DictField):
    """Your own string pairs on a shipment: at most 20 keys of 40 characters
    (letters, digits, ``_ . : -``), 4096 bytes of JSON in all."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            child=serializers.CharField(max_length=500, allow_blank=True), **kwargs
        )

    def to_internal_value(self, data: Any) -> dict[str, str]:
        if isinstance(data, dict):
            for key, value in data.items():
                if not isinstance(value, str):
                    raise ValidationError(
                        f"The value of {key!r} is not a string.", code="invalid"
                    )
        pairs: dict[str, str] = super().to_internal_value(data)
        if len(pairs) > METADATA_MAX_KEYS:
            raise ValidationError(
                f"At most {METADATA_MAX_KEYS} keys.", code="max_length"
            )
        bad = [key for key in pairs if not METADATA_KEY.match(key)]
        if bad:
            raise ValidationError(
                "Keys are 1 to 40 letters, digits or _ . : - characters.",
                code="invalid",
            )
        size = len(json.dumps(pairs, ensure_ascii=False).encode())
        if size > METADATA_MAX_BYTES:
            raise ValidationError(
                f"At most {METADATA_MAX_BYTES} bytes of JSON ({size} given).",
                code="max_length",
            )
        return pairs
