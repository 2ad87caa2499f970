"""One error format for the whole API (drf-standardized-errors), domain errors too."""

from __future__ import annotations

from django.core.exceptions import (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.views import defaults
from drf_standardized_errors.handler import (
    ExceptionHandler as StandardizedExceptionHandler,
)
from rest_framework import exceptions
from rest_framework.exceptions import ErrorDetail
from rest_framework_simplejwt.exceptions import InvalidToken

from fastship.api.domain_error import DomainError
from fastship.api.error_format import error_body
from fastship.api.parsers import RequestTooLarge
from fastship.security import PAGE_CSP


class DatabaseUnavailable(exceptions.APIException):
    """The database did not answer in time (or a row lock was not free within
    the lock timeout): retryable, not a bug."""

    status_code = 503
    default_detail = "The service is temporarily unavailable; try again shortly."
    default_code = "service_unavailable"
    wait = 1  # Retry-After


class ServiceBusy(exceptions.APIException):
    """Work is shed to keep the service answering (a flood of logins): retry."""

    status_code = 503
    default_detail = "The service is busy; try again in a second."
    default_code = "service_unavailable"
    wait = 1  # Retry-After, as DRF writes it for throttling


class DomainAPIException(exceptions.APIException):
    """A domain error as DRF sees it: its status, code and message."""

    def __init__(self, error: DomainError) -> None:
        self.status_code = error.status_code
        super().__init__(detail=error.message, code=error.code)


def to_api_exception(exc: Exception) -> Exception:
    """Translate domain and Django validation errors into DRF exceptions."""
    if isinstance(exc, DomainError):
        if exc.status_code == 400 and exc.attr:
            return exceptions.ValidationError(
                {exc.attr: [ErrorDetail(exc.message, exc.code)]}
            )
        return DomainAPIException(exc)
    if isinstance(exc, InvalidToken):
        # simplejwt explains itself in a nested dict; one plain error is clearer.
        return exceptions.AuthenticationFailed("The token is invalid or expired.")
    if isinstance(exc, exceptions.AuthenticationFailed) and isinstance(
        exc.detail, dict
    ):
        # simplejwt's header errors ({"detail": ..., "code": ...}): one error.
        message = exc.detail.get("detail", "Authentication failed.")
        return exceptions.AuthenticationFailed(str(message))
    if isinstance(exc, OperationalError | InterfaceError):
        # Connection refused, connect or statement timeout, pool exhausted.
        return DatabaseUnavailable()
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        # Django's limit (DATA_UPLOAD_MAX_NUMBER_FIELDS) on query or form
        # fields: the client's request, not a server error.
        return exceptions.ParseError(
            "Too many query or form fields (at most 1,000).", code="too_many_fields"
        )
    if isinstance(exc, DjangoValidationError):
        # Django's password validators: report them on the password field.
        messages = [ErrorDetail(str(message), "invalid") for message in exc.messages]
        return exceptions.ValidationError({"password": messages})
    return exc


class ExceptionHandler(StandardizedExceptionHandler):
    """drf-standardized-errors' handler, knowing our domain and Django errors too."""

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        return super().convert_known_exceptions(to_api_exception(exc))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 in the API's error format under /api/, the site's 404 page elsewhere."""
    if request.path.startswith("/api/"):
        body = error_body("not_found", "Not found.", "client_error")
        return HttpResponse(body, status=404, content_type="application/json")
    page = defaults.page_not_found(request, exception or Exception(), "404.html")
    page.headers.setdefault("Content-Security-Policy", PAGE_CSP)
    return page


def server_error(request: HttpRequest) -> HttpResponse:
    """500 in the API's error format under /api/, the site's 500 page elsewhere.

    Never a traceback; the page is rendered without the request's context, so
    whatever broke the request cannot break the page too.
    """
    if request.path.startswith("/api/"):
        body = error_body("error", "A server error occurred.", "server_error")
        return HttpResponse(body, status=500, content_type="application/json")
    page = defaults.server_error(request, "500.html")
    page.headers.setdefault("Content-Security-Policy", PAGE_CSP)
    return page
