"""A shipment's timeline for its seller and its partner, a page at a time."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fastship.api.pagination import (
    PageParameters,
    list_scope,
    paged_response,
    paging_asked,
    whole_list_response,
)
from shipping import selectors
from shipping.apis.common import SHIPMENT_READ, current_user, request_livemode
from shipping.apis.outputs import EventPageSerializer
from shipping.permissions import IsSellerOrPartner
from shipping.representations import EventOutputSerializer

# The timeline answered a bare array before it had pages (one more release).
EVENTS_ANSWER = PolymorphicProxySerializer(
    component_name="EventPageOrArray",
    serializers=[EventPageSerializer, EventOutputSerializer(many=True)],
    resource_type_field_name=None,
    many=False,
)


class ShipmentEventsApi(APIView):
    permission_classes = [IsAuthenticated, IsSellerOrPartner]  # noqa: RUF012
    key_scopes = SHIPMENT_READ

    @extend_schema(
        parameters=[PageParameters],
        responses={200: EVENTS_ANSWER},
        tags=["shipments"],
    )
    def get(self, request: Request, shipment_id: str) -> Response:
        """The shipment's timeline, oldest first, a page at a time.

        Without `page_size` or `cursor` the answer is the bare array of
        before, deprecated (`Deprecation` header) until 2027-03-01.
        """
        params = PageParameters(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        shipment = selectors.shipment_get_for_user(
            user=current_user(request),
            shipment_id=shipment_id,
            tags=False,
            livemode=request_livemode(request),
        )
        timeline = selectors.shipment_timeline(shipment_id=shipment.id)

        def serialize(events: list[Any]) -> Any:
            return EventOutputSerializer(events, many=True).data

        if not paging_asked(params.validated_data):
            return whole_list_response(timeline, serialize=serialize)
        return paged_response(
            request,
            timeline,
            params=params.validated_data,
            scope=list_scope(f"events:{shipment.id}", {}),
            serialize=serialize,
        )
