from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from fastship.api import ApiRootApi
from shipping.urls import api_urlpatterns, page_urlpatterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("django-rq/", include("django_rq.urls")),
    path("api/v1/", ApiRootApi.as_view(), name="api-root"),
    path("api/v1/", include("healthcheck.urls")),
    path("api/v1/", include(api_urlpatterns)),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema")),
    path("", include(page_urlpatterns)),
]

handler404 = "fastship.api_errors.not_found"
handler500 = "fastship.api_errors.server_error"
