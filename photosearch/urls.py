from django.contrib import admin
from django.urls import include, path

from alerts.api import router as alerts_api
from search import api

# Saved searches and notifications share the API's authentication, schema and docs.
api.api.add_router("", alerts_api)

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/", api.urls()),
    path("", include("search.urls")),
    path("", include("profiles.urls")),
    path("", include("alerts.urls")),
]
