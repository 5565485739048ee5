from django.contrib import admin
from django.urls import include, path

from photosearch import views
from search import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("api/", api.urls()),
    path("", include("search.urls")),
    path("", include("profiles.urls")),
]
