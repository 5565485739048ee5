"""Log-ins (ours and the admin's), sign-ups and reset mails are rate-limited: a 429, a sentence, Retry-After."""

import pytest
from django.core import mail
from django.urls import reverse

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.THROTTLE_RATES = settings.THROTTLE_RATES | {"signup": (1, 3600), "password_reset": (1, 3600)}


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_it_locks_out_a_log_in_after_too_many_failures(client, user, low_rates, url):
    for _ in range(2):
        client.post(url, {"username": "ada", "password": "wrong"})
    response = client.post(url, {"username": "ada", "password": PASSWORD})  # even the right password now
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    assert "Too many failed log-ins for this account from your address: try again in 15 minutes." in response.text
    assert "_auth_user_id" not in client.session


def test_a_lockout_is_for_that_account_and_address_only(client, user, low_rates, django_user_model):
    django_user_model.objects.create_user("ben", "ben@example.org", PASSWORD)
    for _ in range(2):
        client.post(reverse("login"), {"username": "ada", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "ben", "password": PASSWORD}).status_code == 302
    other_address = client.post(reverse("login"), {"username": "ada", "password": PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert other_address.status_code == 302


def test_it_limits_sign_ups_per_address(client, low_rates):
    data = {"username": "ben", "email": "ben@example.org", "password1": PASSWORD, "password2": PASSWORD}
    assert client.post(reverse("signup"), data).status_code == 302
    client.logout()
    response = client.post(reverse("signup"), data | {"username": "cid", "email": "cid@example.org"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many sign-ups from your address: try again in" in response.text


def test_it_limits_password_reset_mails(client, user, low_rates):
    client.post(reverse("password_reset"), {"email": "ada@example.org"})
    response = client.post(reverse("password_reset"), {"email": "ada@example.org"}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429  # per address of the mail, whatever the address it is asked from
    assert "Too many password-reset e-mails asked for: try again in" in response.text
    assert len(mail.outbox) == 1
