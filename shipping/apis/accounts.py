"""Sign-up, login, tokens, email verification, password reset, own profile."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from drf_spectacular.utils import (
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.views import TokenRefreshView

from fastship.api.exceptions import ServiceBusy
from fastship.hashing import HashingBusy
from shipping import pages
from shipping.apis.common import (
    PublicApi,
    StrictSerializer,
    current_user,
    zip_code_field,
)
from shipping.services import accounts, sessions
from shipping.throttles import (
    FailureThrottle,
    LoginAccountThrottle,
    LoginClientThrottle,
    PasswordResetAccountThrottle,
    PasswordResetClientThrottle,
    SignupClientThrottle,
    VerificationClientThrottle,
    VerificationResendAccountThrottle,
    VerificationResendClientThrottle,
)

TokenPairSerializer = inline_serializer(
    "TokenPair", {"access": serializers.CharField(), "refresh": serializers.CharField()}
)


class SellerCreateApi(PublicApi):
    throttle_classes = [SignupClientThrottle]  # noqa: RUF012

    class InputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=150)
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, write_only=True)
        address = serializers.CharField(max_length=300)
        zip_code = zip_code_field()

    class OutputSerializer(serializers.Serializer):
        """The same for a new address and one with an account (no id): who
        has an account is not told; its owner gets a mail instead."""

        name = serializers.CharField(source="user.name")
        email = serializers.EmailField(source="user.email")
        address = serializers.CharField()
        zip_code = serializers.CharField()

    @extend_schema(
        request=InputSerializer, responses={201: OutputSerializer}, tags=["accounts"]
    )
    def post(self, request: Request) -> Response:
        """Sign up as a seller; a verification link is emailed."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        seller = accounts.seller_create(**data.validated_data)
        return Response(
            self.OutputSerializer(seller).data, status=status.HTTP_201_CREATED
        )


class PartnerCreateApi(PublicApi):
    throttle_classes = [SignupClientThrottle]  # noqa: RUF012

    class InputSerializer(StrictSerializer):
        name = serializers.CharField(max_length=150)
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128, write_only=True)
        serviceable_zip_codes = serializers.ListField(
            child=zip_code_field(), allow_empty=False, max_length=500
        )
        max_handling_capacity = serializers.IntegerField(min_value=1, max_value=100_000)

    class OutputSerializer(serializers.Serializer):
        """The same for a new address and one with an account (no id)."""

        name = serializers.CharField(source="user.name")
        email = serializers.EmailField(source="user.email")
        serviceable_zip_codes = serializers.ListField(
            child=serializers.CharField(), source="zip_code_list"
        )
        max_handling_capacity = serializers.IntegerField()
        approved = serializers.BooleanField(source="is_approved")

    @extend_schema(
        request=InputSerializer, responses={201: OutputSerializer}, tags=["accounts"]
    )
    def post(self, request: Request) -> Response:
        """Sign up as a delivery partner; a verification link is emailed.

        The partner starts pending (`approved: false`) and is assigned no
        shipments until staff approve it.
        """
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        partner = accounts.partner_create(**data.validated_data)
        return Response(
            self.OutputSerializer(partner).data, status=status.HTTP_201_CREATED
        )


class VerifyEmailApi(PublicApi):
    throttle_classes = [VerificationClientThrottle]  # noqa: RUF012

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # The link in the mail: a browser asking for HTML alone gets the page
        # (pages.wants_html), not DRF's 406 for lack of an HTML renderer.
        return super().perform_content_negotiation(request, force=True)

    class QuerySerializer(serializers.Serializer):
        token = serializers.CharField(max_length=500)

    @extend_schema(
        parameters=[QuerySerializer],
        responses={
            200: inline_serializer("Verified", {"email": serializers.EmailField()})
        },
        tags=["accounts"],
    )
    def get(self, request: Request) -> Response:
        """Confirm an email address with the token from the verification email."""
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        if pages.wants_html(request):  # the link in the mail, opened in a browser
            return pages.verify_email_page(request, query.validated_data["token"])
        user = accounts.user_verify_email(token=query.validated_data["token"])
        return Response({"email": user.email})


class EmailRequestApi(PublicApi):
    """A request naming an address that answers 202 whether the account exists."""

    class InputSerializer(StrictSerializer):
        email = serializers.EmailField(max_length=254)

    def accept(self, request: Request, action: Callable[..., None]) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        action(email=data.validated_data["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


class VerifyEmailResendApi(EmailRequestApi):
    throttle_classes = [  # noqa: RUF012
        VerificationResendClientThrottle,
        VerificationResendAccountThrottle,
    ]

    @extend_schema(
        request=EmailRequestApi.InputSerializer, responses={202: None}, tags=["auth"]
    )
    def post(self, request: Request) -> Response:
        """Mail a new verification link; the answer is the same for every address."""
        return self.accept(request, accounts.verification_mail_resend)


class TokenObtainApi(PublicApi):
    throttle_classes = [LoginClientThrottle, LoginAccountThrottle]  # noqa: RUF012

    def get_authenticate_header(self, request: Request) -> str:
        # Wrong credentials are a 401 with a challenge, not DRF's fallback 403.
        return 'Bearer realm="api"'

    class InputSerializer(StrictSerializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(max_length=128)

    @extend_schema(
        request=InputSerializer, responses={200: TokenPairSerializer}, tags=["auth"]
    )
    def post(self, request: Request) -> Response:
        """Log in: a 15-minute access token and a refresh token."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = sessions.login_check(
                email=data.validated_data["email"],
                password=data.validated_data["password"],
            )
        except HashingBusy:
            raise ServiceBusy(
                "Too many logins at once; try again in a second."
            ) from None
        if user is None:
            self.settle_failure_throttles(failed=True)
            raise AuthenticationFailed(
                "Wrong email or password.", code="invalid_credentials"
            )
        return Response(sessions.session_start(user=user))

    def get_throttles(self) -> list[Any]:
        """The same throttles for the whole request: a failure throttle took
        a place when checked, and this request settles that place."""
        if not hasattr(self, "_throttles"):
            self._throttles = list(super().get_throttles())
        return self._throttles

    def settle_failure_throttles(self, *, failed: bool) -> None:
        for throttle in self.get_throttles():
            if isinstance(throttle, FailureThrottle):
                throttle.settle(failed=failed)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        # Anything but a wrong password (a bad body, a throttled or a good
        # login) gives the place back.
        self.settle_failure_throttles(failed=False)
        return super().finalize_response(request, response, *args, **kwargs)


class TokenRefreshApi(TokenRefreshView):
    """Trade a refresh token for a new pair; the old refresh token is blacklisted."""

    throttle_classes = [LoginClientThrottle]  # noqa: RUF012

    @extend_schema(tags=["auth"], responses={200: TokenPairSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raw = request.data.get("refresh") if isinstance(request.data, dict) else None
        try:
            with transaction.atomic():
                sessions.refresh_token_lock(raw=raw)
                return super().post(request, *args, **kwargs)
        except get_user_model().DoesNotExist:
            # The token's user was deleted: the token is simply invalid.
            raise InvalidToken() from None


class LogoutApi(APIView):
    permission_classes = [IsAuthenticated]  # noqa: RUF012

    class InputSerializer(StrictSerializer):
        refresh = serializers.CharField(max_length=2000)

    @extend_schema(request=InputSerializer, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        """Log out: the given refresh token stops working."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sessions.session_end(
            user=current_user(request), refresh=data.validated_data["refresh"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetApi(EmailRequestApi):
    throttle_classes = [PasswordResetClientThrottle, PasswordResetAccountThrottle]  # noqa: RUF012

    @extend_schema(
        request=EmailRequestApi.InputSerializer, responses={202: None}, tags=["auth"]
    )
    def post(self, request: Request) -> Response:
        """Ask for a reset link; the answer is the same whether the account exists."""
        return self.accept(request, accounts.password_reset_request)


class PasswordResetConfirmApi(PublicApi):
    throttle_classes = [VerificationClientThrottle]  # noqa: RUF012

    class InputSerializer(StrictSerializer):
        token = serializers.CharField(max_length=500)
        password = serializers.CharField(max_length=128)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: inline_serializer("PasswordReset", {"email": serializers.EmailField()})
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        """Set a new password with the token from the reset email (works once)."""
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = accounts.password_reset_confirm(**data.validated_data)
        return Response({"email": user.email})
