"""The API libraries' settings that no variable changes (DRF, simplejwt, schema).

``fastship/settings.py`` adds what comes from the environment.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any


def rest_framework(
    *, authentication: list[str], throttle_rates: dict[str, str], num_proxies: int
) -> dict[str, Any]:
    return {
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "DEFAULT_PARSER_CLASSES": ["fastship.api.parsers.LimitedJSONParser"],
        "DEFAULT_CONTENT_NEGOTIATION_CLASS": (
            "fastship.api.negotiation.SingleRendererNegotiation"
        ),
        "DEFAULT_AUTHENTICATION_CLASSES": authentication,
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "DEFAULT_SCHEMA_CLASS": "fastship.api.schema.AutoSchema",
        "EXCEPTION_HANDLER": "drf_standardized_errors.handler.exception_handler",
        "DEFAULT_THROTTLE_RATES": throttle_rates,
        "NUM_PROXIES": num_proxies,
    }


def simple_jwt(*, signing_key: str) -> dict[str, Any]:
    return {
        "ACCESS_TOKEN_LIFETIME": timedelta(minutes=15),
        "REFRESH_TOKEN_LIFETIME": timedelta(days=7),
        "ROTATE_REFRESH_TOKENS": True,
        "BLACKLIST_AFTER_ROTATION": True,
        "UPDATE_LAST_LOGIN": False,
        "ALGORITHM": "HS256",
        "SIGNING_KEY": signing_key,
        "AUTH_HEADER_TYPES": ("Bearer",),
        "USER_ID_FIELD": "id",
        "USER_ID_CLAIM": "user_id",
        # Tokens carry a hash of the password hash: a password reset or change
        # revokes every access token at once, not 15 minutes later.
        "CHECK_REVOKE_TOKEN": True,
        "REVOKE_TOKEN_CLAIM": "hash_password",
    }


_HOOKS = [
    "drf_standardized_errors.openapi_hooks.postprocess_schema_enums",
    "fastship.api.schema.document_domain_errors",
    "fastship.api.schema.mark_deprecated_parameters",
]
_SPECTACULAR = {
    "TITLE": "FastShip API",
    "DESCRIPTION": (
        "Shipping management: sellers ship, delivery partners carry, recipients "
        "track and review.\n\n"
        "**Authentication**, either of two schemes (*Authorize* takes both; "
        "it is kept across reloads of this page): a login's access token, "
        "`Authorization: Bearer <access token>` from `POST /api/v1/auth/token/` "
        "(15 minutes; refresh it with `POST /api/v1/auth/token/refresh/`), or, "
        "for a seller's shop backend, an API key from `POST /api/v1/api-keys/`: "
        "`Authorization: Api-Key <key>` (the key alone, `fsk_...`, is taken "
        "too). Errors use one format: "
        '`{"type": ..., "errors": [{"code", "detail", "attr"}]}`.\n\n'
        "**Pagination.** Lists answer `{next, previous, results}`: follow `next` "
        "(an opaque `cursor`) for the next page; `page_size` is 1 to 100. A "
        "`Link` header names the `first` and `last` pages. Changed in 1.1: "
        "`?page=N` is deprecated (answered with `count`, `Deprecation` and "
        "`Sunset` headers until 2027-03-01, for the first 10,000 items), and "
        "the timeline and API-key lists give pages when asked for `page_size` "
        "or `cursor` (their bare array otherwise, deprecated as well)."
    ),
    "VERSION": "1.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    # Authorize survives a reload of /docs (kept in the browser's storage).
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        name: f"drf_standardized_errors.openapi_serializers.{name}.choices"
        for name in (
            "ValidationErrorEnum",
            "ClientErrorEnum",
            "ServerErrorEnum",
            *(
                f"ErrorCode{code}Enum"
                for code in (401, 403, 404, 405, 406, 415, 429, 500)
            ),
        )
    },
    "POSTPROCESSING_HOOKS": _HOOKS,
}
DRF_STANDARDIZED_ERRORS = {
    "EXCEPTION_HANDLER_CLASS": "fastship.api.exceptions.ExceptionHandler",
    # 409 and 413 are documented by fastship.api.schema.document_domain_errors.
    "ALLOWED_ERROR_STATUS_CODES": ["400", "401", "403", "404", "405", "415", "429"],
}


def spectacular(*, extra_hooks: list[str]) -> dict[str, Any]:
    """drf-spectacular's settings, with the domain's schema hooks after ours."""
    hooks = [*_HOOKS, *extra_hooks]
    return {**_SPECTACULAR, "POSTPROCESSING_HOOKS": hooks}
