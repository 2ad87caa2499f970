"""Pages for people: public tracking, the review form, the new-password form."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from fastship.security import content_security_policy
from shipping import selectors
from shipping.exceptions import DomainError, NotFound
from shipping.services.accounts import password_reset_confirm
from shipping.services.reviews import review_create
from shipping.services.tokens import password_reset_user, review_shipment


@content_security_policy
@require_http_methods(["GET", "HEAD"])
def tracking_page(request: HttpRequest, tracking_code: str) -> HttpResponse:
    """Public tracking page: status, estimate, partner, timeline; nothing personal."""
    try:
        shipment = selectors.shipment_get_by_tracking_code(tracking_code=tracking_code)
    except NotFound:
        raise Http404("No shipment with this tracking code.") from None
    return render(request, "shipping/track.html", {"shipment": shipment})


@content_security_policy
@require_http_methods(["GET", "HEAD", "POST"])
def review_page(request: HttpRequest, token: str) -> HttpResponse:
    """The review form linked from the delivered email."""
    try:
        shipment = review_shipment(token=token)
    except DomainError:
        return render(
            request,
            "shipping/message.html",
            {
                "title": "Link expired",
                "message": "This review link is invalid or has expired.",
            },
            status=400,
        )
    if hasattr(shipment, "review"):
        return render(
            request,
            "shipping/message.html",
            {
                "title": "Thank you",
                "message": "This delivery has already been reviewed.",
            },
        )
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
                return render(
                    request,
                    "shipping/message.html",
                    {"title": "Thank you", "message": "Your review was recorded."},
                )
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
        return render(
            request,
            "shipping/message.html",
            {
                "title": "Link expired",
                "message": "This reset link is invalid, used or expired.",
            },
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
                return render(
                    request,
                    "shipping/message.html",
                    {
                        "title": "Password changed",
                        "message": "Your password was changed. You can log in now.",
                    },
                )
    return render(
        request,
        "shipping/reset_password.html",
        {"errors": errors},
        status=400 if errors else 200,
    )
