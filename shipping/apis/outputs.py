"""Paged answers: the pagination every list uses and the schema of a page."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination

from shipping.representations import ShipmentOutputSerializer


class ShipmentPagination(PageNumberPagination):
    """Every paged list: ``page`` and ``page_size`` (20 by default, 100 at most)."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def page_serializer(name: str, item: type[serializers.Serializer], doc: str) -> type:
    """The schema of one page of ``item`` (what :class:`ShipmentPagination` answers)."""
    fields = {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": item(many=True),
        "__doc__": doc,
    }
    return type(name, (serializers.Serializer,), fields)


ShipmentPageSerializer = page_serializer(
    "ShipmentPageSerializer",
    ShipmentOutputSerializer,
    "One page of shipments (the schema of :class:`ShipmentPagination`).",
)
