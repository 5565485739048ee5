from django.contrib import admin
from django.urls import include, path

from accounts.language import language_choose
from photosearch import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/", api.urls()),
    # The footer's language switcher (a cookie, and the account's choice for a signed-in person).
    path("language/", language_choose, name="set_language"),
    path("", include("search.urls")),
    path("", include("jobs.urls")),
    path("", include("alerts.urls")),
]
