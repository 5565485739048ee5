from django.contrib import admin
from django.urls import include, path

from photosearch import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("", include("profiles.urls")),
]
