from django.urls import include, path

from accounts import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("tokens/", views.api_tokens, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
    # Django's, with a rate on reset mails and API tokens revoked by a new password.
    path("password_reset/", views.PasswordReset.as_view(), name="password_reset"),
    path("password_change/", views.PasswordChange.as_view(), name="password_change"),
    path("reset/<uidb64>/<token>/", views.PasswordResetConfirm.as_view(), name="password_reset_confirm"),
    # login, logout (POST only), the rest of password change and reset, from django.contrib.auth.
    path("", include("django.contrib.auth.urls")),
]
