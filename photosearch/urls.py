from django.contrib import admin
from django.urls import include, path

from photosearch import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/", api.urls()),
    path("", include("search.urls")),
    path("", include("jobs.urls")),
    path("", include("alerts.urls")),
]
