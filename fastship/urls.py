from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from fastship.api.root import ApiRootApi
from fastship.security import DOCS_CSP, with_csp
from shipping.urls import api_urlpatterns, page_urlpatterns

# Swagger UI with its start-up script as a file of its own (no inline script),
# under a CSP that lets it run and call this API only.
DOCS = with_csp(DOCS_CSP)(SpectacularSwaggerSplitView.as_view(url_name="schema"))

# The API first, its busiest routes first (shipping/urls.py): Django tries the
# patterns in order, and every miss before the match costs the request.
urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", include(api_urlpatterns)),
    path("api/v1/", include("healthcheck.urls")),
    path("api/v1/", ApiRootApi.as_view(), name="api-root"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("admin/", admin.site.urls),
    path("docs", DOCS, name="docs"),
    path("docs/", DOCS),
    path("", include(page_urlpatterns)),
]

# RQ's dashboard only where RQ has a Redis: in the embedded mode (jobs inline)
# it would show whatever Redis happens to listen on this machine.
if settings.FASTSHIP_REDIS is not None:
    urlpatterns.insert(5, path("django-rq/", include("django_rq.urls")))

handler404 = "fastship.api.exceptions.not_found"
handler500 = "fastship.api.exceptions.server_error"
