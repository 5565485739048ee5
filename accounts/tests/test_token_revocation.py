"""Any new password revokes the account's API tokens, wherever it is set (the pages are tested in test_auth)."""

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from accounts.models import ApiToken
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "another-long-unusual-passphrase-77"


def test_a_password_set_in_the_admin_revokes_the_users_tokens(admin_client, user):
    ApiToken.issue(user=user, name="laptop")
    url = reverse("admin:auth_user_password_change", args=[user.pk])
    response = admin_client.post(url, {"password1": NEW, "password2": NEW, "usable_password": "true"})
    assert response.status_code == 302
    assert not ApiToken.objects.filter(user=user).exists()


def test_a_password_set_from_code_or_a_command_revokes_them_too(user):
    ApiToken.issue(user=user, name="laptop")
    user.set_password(NEW)
    user.save()
    assert not ApiToken.objects.filter(user=user).exists()


def test_other_changes_to_the_account_leave_the_tokens_alone(user):
    ApiToken.issue(user=user, name="laptop")
    user.first_name = "Ada"
    user.save()
    assert ApiToken.objects.filter(user=user).count() == 1


def test_a_hash_upgraded_at_log_in_is_no_new_password(client, user, settings):
    settings.PASSWORD_HASHERS = [*settings.PASSWORD_HASHERS, "django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    type(user).objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    ApiToken.issue(user=user, name="laptop")
    assert client.post(reverse("login"), {"username": "ada", "password": PASSWORD}).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("md5$")  # upgraded to the first hasher, and saved
    assert ApiToken.objects.filter(user=user).count() == 1
