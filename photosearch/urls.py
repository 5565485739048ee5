from django.contrib import admin
from django.urls import include, path

from search import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/", api.urls()),
    path("", include("search.urls")),
    path("", include("profiles.urls")),
]
