"""Pages for people: the front page, tracking, the review, new-password and
email-verification pages."""

from __future__ import annotations

import math
import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from fastship.security import TRACKING_CSP, content_security_policy, with_csp
from shipping import selectors
from shipping.converters import TrackingCodeConverter
from shipping.exceptions import DomainError, NotFound
from shipping.services.accounts import (
    password_reset_confirm,
    user_verify_email,
    verification_mail_resend,
)
from shipping.services.reviews import review_create
from shipping.services.tokens import password_reset_user, review_shipment
from shipping.throttles import (
    VerificationResendClientThrottle,
    VerificationResendFormAccountThrottle,
)
from shipping.tracking_codes import canonical_tracking_code
from shipping.tracking_view import tracking_context

MAX_TYPED_CODE = 64
MAX_EMAIL = 254
TRACKING_CODE = re.compile(TrackingCodeConverter.regex)


def message(
    request: HttpRequest,
    title: str,
    text: str,
    *,
    status: int = 200,
    links: tuple[tuple[str, str], ...] = (),
) -> HttpResponse:
    """A page of one message, with where to go next (``(label, url)`` pairs)."""
    return render(
        request,
        "shipping/message.html",
        {"title": title, "message": text, "links": links},
        status=status,
    )


# Where a seller or partner goes after an account link: they use FastShip
# through the API (a shop backend, or the API docs in a browser).
ACCOUNT_NEXT = (("Open the API docs", "/docs"), ("FastShip's front page", "/"))
# Swagger UI's deep link to the resend operation.
RESEND_DOCS = "/docs#/auth/api_v1_auth_verify_email_resend_create"


def unknown_code(request: HttpRequest, code: str) -> HttpResponse:
    """The 404 page of a code nobody issued: says so and offers the form again."""
    return render(request, "shipping/track_form.html", {"code": code}, status=404)


@content_security_policy
@require_http_methods(["GET", "HEAD"])
def home_page(request: HttpRequest) -> HttpResponse:
    """What FastShip is, and where to go: tracking, the API docs, the admin."""
    return render(request, "shipping/home.html")


@content_security_policy
@require_http_methods(["GET", "HEAD"])
def track_form_page(request: HttpRequest) -> HttpResponse:
    """A form for a tracking code; ``?code=`` goes to that shipment's page."""
    typed = request.GET.get("code", "").strip()[:MAX_TYPED_CODE]
    if not typed:
        return render(request, "shipping/track_form.html", {"code": ""})
    for code in dict.fromkeys([typed, canonical_tracking_code(typed)]):
        # Only what the page's own URL can carry (the path converter's rule).
        if (
            code
            and TRACKING_CODE.fullmatch(code)
            and selectors.tracking_code_known(tracking_code=code)
        ):
            return redirect("tracking-page", tracking_code=code)
    return unknown_code(request, typed)


@with_csp(TRACKING_CSP)
@require_http_methods(["GET", "HEAD"])
def tracking_page(request: HttpRequest, tracking_code: str) -> HttpResponse:
    """Public tracking page: status, estimate, partner, timeline; nothing personal."""
    try:
        shipment = selectors.shipment_get_by_tracking_code(tracking_code=tracking_code)
    except NotFound:
        return unknown_code(request, tracking_code)
    return render(request, "shipping/track.html", tracking_context(shipment))


@content_security_policy
def verify_email_page(request: HttpRequest, token: str) -> HttpResponse:
    """The verification link opened in a browser: a page, not the API's JSON."""
    try:
        user = user_verify_email(token=token)
    except DomainError as failure:
        return resend_form(
            request, "Link not valid", f"{failure.message} Ask for a new one here.", 400
        )
    return message(
        request,
        "Email address confirmed",
        f"Thank you: {user.email} is confirmed. Log in with your email and "
        "password through the API (POST /api/v1/auth/token/).",
        links=ACCOUNT_NEXT,
    )


def resend_form(
    request: HttpRequest, title: str, text: str, status: int, error: str = ""
) -> HttpResponse:
    """The form that mails a new verification link (the API's resend, as a page)."""
    context = {"title": title, "text": text, "error": error, "docs": RESEND_DOCS}
    context["email"] = request.POST.get("email", "")[:MAX_EMAIL]
    return render(request, "shipping/verify_resend.html", context, status=status)


@content_security_policy
@require_http_methods(["GET", "HEAD", "POST"])
def verify_email_resend_page(request: HttpRequest) -> HttpResponse:
    """Ask for a new verification link; the answer is the same for every address."""
    title = "Ask for a new confirmation link"
    text = "Type the address you signed up with; we mail it a new link."
    if request.method != "POST":
        return resend_form(request, title, text, 200)
    email = request.POST.get("email", "").strip()
    try:
        if len(email) > MAX_EMAIL:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        error = "Enter the email address you signed up with, like you@example.com."
        return resend_form(request, title, text, 400, error)
    for guard in (
        VerificationResendClientThrottle(),
        VerificationResendFormAccountThrottle(),
    ):
        if not guard.allow_request(request, None):  # type: ignore[arg-type]
            minutes = math.ceil(max(1.0, guard.wait() or 60) / 60)
            error = (
                f"Too many requests for new links. Try again in {minutes} minute(s)."
            )
            refused = resend_form(request, title, text, 429, error)
            refused["Retry-After"] = str(minutes * 60)
            return refused
    verification_mail_resend(email=email)
    return message(
        request,
        "Check your inbox",
        f"If {email} belongs to an account still waiting for confirmation, "
        "a new link is on its way.",
        links=ACCOUNT_NEXT,
    )


def wants_html(request: HttpRequest) -> bool:
    """A browser (HTML before JSON in its Accept header), not an API client."""
    accept = request.headers.get("Accept", "")
    html, json = accept.find("text/html"), accept.find("application/json")
    return html != -1 and (json == -1 or html < json)


@content_security_policy
@require_http_methods(["GET", "HEAD", "POST"])
def review_page(request: HttpRequest, token: str) -> HttpResponse:
    """The review form linked from the delivered email."""
    try:
        shipment = review_shipment(token=token)
    except DomainError:
        return message(
            request,
            "Link expired",
            "This review link is invalid or has expired.",
            status=400,
        )
    if hasattr(shipment, "review"):
        return message(request, "Thank you", "This delivery has already been reviewed.")
    error = ""
    if request.method == "POST":
        try:
            rating = int(request.POST.get("rating", ""))
            if not 1 <= rating <= 5:
                raise ValueError
        except ValueError:
            error = "Choose a rating from 1 to 5."
        else:
            comment = request.POST.get("comment", "")[:2000]
            try:
                review_create(token=token, rating=rating, comment=comment)
            except DomainError as failure:
                error = failure.message
            else:
                return message(request, "Thank you", "Your review was recorded.")
    return render(
        request,
        "shipping/review.html",
        {"shipment": shipment, "error": error},
        status=400 if error else 200,
    )


@content_security_policy
@require_http_methods(["GET", "HEAD", "POST"])
def reset_password_page(request: HttpRequest, token: str) -> HttpResponse:
    """The new-password form linked from the reset email."""
    try:
        password_reset_user(token=token)
    except DomainError:
        return message(
            request,
            "Link expired",
            "This reset link is invalid, used or expired.",
            status=400,
        )
    errors: list[str] = []
    if request.method == "POST":
        password = request.POST.get("password", "")
        if password != request.POST.get("password_again", ""):
            errors = ["The two passwords differ."]
        else:
            try:
                password_reset_confirm(token=token, password=password)
            except ValidationError as failure:
                errors = list(failure.messages)
            except DomainError as failure:
                errors = [failure.message]
            else:
                return message(
                    request,
                    "Password changed",
                    "Your password was changed, and every earlier session "
                    "and API key was ended. Log in with the new password "
                    "through the API (POST /api/v1/auth/token/), and make "
                    "new API keys for your shop's backend.",
                    links=ACCOUNT_NEXT,
                )
    return render(
        request,
        "shipping/reset_password.html",
        {"errors": errors},
        status=400 if errors else 200,
    )
