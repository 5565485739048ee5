from django.urls import include, path

from accounts import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    # login, logout (POST only), password change and reset, from django.contrib.auth.
    path("", include("django.contrib.auth.urls")),
]
