"""The signed-in account: ``GET`` and ``PATCH /api/v1/me/`` (one shape per role)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from shipping import selectors
from shipping.apis.common import StrictSerializer, current_user, zip_code_field
from shipping.models import User
from shipping.services import accounts


class MeOutputSerializer(serializers.Serializer):
    """What every account shows of itself."""

    id = serializers.IntegerField(source="pk")
    email = serializers.EmailField()
    name = serializers.CharField()
    role: serializers.Field = serializers.CharField()


def role_field(role: User.Role) -> serializers.ChoiceField:
    """The ``role`` of one shape, so the schema's shapes exclude each other."""
    return serializers.ChoiceField(choices=[(role.value, role.label)])


class StaffMeOutputSerializer(MeOutputSerializer):
    role = role_field(User.Role.STAFF)


class SellerMeOutputSerializer(MeOutputSerializer):
    role = role_field(User.Role.SELLER)
    address = serializers.CharField(source="seller.address")
    zip_code = serializers.CharField(source="seller.zip_code")


class PartnerMeOutputSerializer(MeOutputSerializer):
    role = role_field(User.Role.PARTNER)
    serviceable_zip_codes = serializers.SerializerMethodField()
    max_handling_capacity = serializers.IntegerField(
        source="partner.max_handling_capacity"
    )
    active_shipments = serializers.IntegerField(source="partner.active_shipments")
    approved = serializers.BooleanField(source="partner.is_approved")

    def get_serviceable_zip_codes(self, user: User) -> list[str]:
        return sorted(code.zip_code for code in user.partner.zip_codes.all())


ME_OUTPUT: dict[str, type[MeOutputSerializer]] = {
    User.Role.SELLER: SellerMeOutputSerializer,
    User.Role.PARTNER: PartnerMeOutputSerializer,
    User.Role.STAFF: StaffMeOutputSerializer,
}
# The schema: one shape per role, told apart by ``role``.
MeSchema = PolymorphicProxySerializer(
    component_name="Me",
    serializers={str(role): cls for role, cls in ME_OUTPUT.items()},
    resource_type_field_name="role",
)


def me_data(user: User) -> Any:
    """The profile in the shape of the user's role (a role without its profile
    row, which only the admin can make, shows the common fields)."""
    output = ME_OUTPUT.get(user.role, MeOutputSerializer)
    profiles: dict[str, str] = {
        User.Role.SELLER: "seller",
        User.Role.PARTNER: "partner",
    }
    profile = profiles.get(user.role)
    if profile is not None and not hasattr(user, profile):
        output = MeOutputSerializer
    return output(user).data


class MeUpdateSchema(serializers.Serializer):
    """The schema of ``PATCH /me/``: every field any role may change.

    (A oneOf of the role's shapes would be ambiguous: ``{"name": ...}`` fits
    all of them.) The view checks the fields against the caller's role.
    """

    name = serializers.CharField(max_length=150, required=False)
    address = serializers.CharField(
        max_length=300, required=False, help_text="Sellers only."
    )
    zip_code = zip_code_field(required=False, help_text="Sellers only.")
    serviceable_zip_codes = serializers.ListField(
        child=zip_code_field(),
        allow_empty=False,
        max_length=500,
        required=False,
        help_text="Partners only.",
    )
    max_handling_capacity = serializers.IntegerField(
        min_value=1, max_value=100_000, required=False, help_text="Partners only."
    )


class MeApi(APIView):
    permission_classes = [IsAuthenticated]  # noqa: RUF012
    key_scopes = {"GET": "account:read", "PATCH": "account:write"}  # noqa: RUF012

    class PartnerInputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=150, required=False)
        serviceable_zip_codes = serializers.ListField(
            child=zip_code_field(), allow_empty=False, max_length=500, required=False
        )
        max_handling_capacity = serializers.IntegerField(
            min_value=1, max_value=100_000, required=False
        )

    class SellerInputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=150, required=False)
        address = serializers.CharField(max_length=300, required=False)
        zip_code = zip_code_field(required=False)

    class StaffInputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=150, required=False)

    @extend_schema(responses={200: MeSchema}, tags=["accounts"])
    def get(self, request: Request) -> Response:
        """Your own profile, with your role."""
        return Response(me_data(current_user(request)))

    @extend_schema(
        request=MeUpdateSchema,
        responses={200: MeSchema},
        tags=["accounts"],
        description="The fields a role may change: sellers `name`, `address`, "
        "`zip_code`; partners `name`, `serviceable_zip_codes`, "
        "`max_handling_capacity`; staff `name`. Others are a 400.",
    )
    def patch(self, request: Request) -> Response:
        """Change your profile (partners: zip codes and capacity)."""
        user = current_user(request)
        input_class: type[StrictSerializer] = self.StaffInputSerializer
        if user.role == User.Role.PARTNER:
            input_class = self.PartnerInputSerializer
        elif user.role == User.Role.SELLER:
            input_class = self.SellerInputSerializer
        data = input_class(data=request.data)
        data.is_valid(raise_exception=True)
        accounts.profile_update(user=user, **data.validated_data)
        return Response(me_data(selectors.user_with_profile(user_id=user.pk)))
