from django.contrib import admin
from django.urls import include, path

from fastship.api import ApiRootApi

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", ApiRootApi.as_view(), name="api-root"),
    path("api/v1/", include("healthcheck.urls")),
]
