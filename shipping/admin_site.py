"""The admin site: Django's, with a lockout after failed logins.

Failures only are counted, per account (the form's ``username``, an email)
and per client address, in the same fail-open throttle store as the API's
limits (``THROTTLE_ADMIN_LOGIN``, ``THROTTLE_ADMIN_LOGIN_ACCOUNT``). Once a
limit is reached every login of that account, or from that address, is
refused with a 429, the right password included, until the window passes.
"""

from __future__ import annotations

import math
from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from shipping.throttles import (
    AdminLoginAccountThrottle,
    AdminLoginClientThrottle,
    FailureThrottle,
)


class FastShipAdminSite(admin.AdminSite):
    site_header = "FastShip operations"
    site_title = "FastShip operations"
    site_url = "/"
    # The app list is on the index page; without the side bar the change lists
    # get the whole width (they fit 1280 px: tests/shipping/test_pages_browser.py).
    enable_nav_sidebar = False
    # The front page opens on what needs a person (shipping/admin_home.py).
    index_title = "What needs a person, then every list"
    index_template = "shipping/admin_index.html"
    # The apps in the order operators use them, not alphabetically.
    APP_ORDER = ("shipping", "requestlog", "django_rq", "token_blacklist", "auth")

    def index(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        from shipping.admin_charts import admin_charts
        from shipping.admin_home import attention_items

        context = {
            "attention": attention_items(),
            "charts": admin_charts(),
            **(extra_context or {}),
        }
        return super().index(request, context)

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[Any]:
        apps = super().get_app_list(request, app_label)
        rank = {label: n for n, label in enumerate(self.APP_ORDER)}
        return sorted(apps, key=lambda app: rank.get(app["app_label"], len(rank)))

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method != "POST":
            return super().login(request, extra_context)
        guards: list[FailureThrottle] = [
            AdminLoginClientThrottle(),
            AdminLoginAccountThrottle(),
        ]
        for guard in guards:
            if not guard.allow_request(request, None):  # type: ignore[arg-type]
                for taken in guards:  # not evaluated: nothing counts
                    taken.settle(failed=False)
                return login_locked(guard.wait())
        response = super().login(request, extra_context)
        # A wrong password re-renders the form (200); a login redirects.
        failed = response.status_code == 200 and not request.user.is_authenticated
        for guard in guards:
            guard.settle(failed=failed)
        return response


def login_locked(wait: float | None) -> HttpResponse:
    seconds = max(1, math.ceil(wait or 60))
    response = HttpResponse(
        "Too many failed logins for this account or from this address. "
        f"Try again in {math.ceil(seconds / 60)} minute(s).\n",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(seconds)
    return response
