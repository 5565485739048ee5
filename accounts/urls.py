from django.urls import include, path

from accounts import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("tokens/", views.api_tokens, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    # login, logout (POST only), password change and reset, from django.contrib.auth.
    path("", include("django.contrib.auth.urls")),
]
