import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from accounts.models import ApiToken
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def signup(client, **overrides):
    data = {"username": "ben", "email": "ben@example.org", "password1": PASSWORD, "password2": PASSWORD}
    return client.post(reverse("signup"), data | overrides)


def test_it_signs_up_and_logs_the_new_user_in(client):
    response = signup(client)
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).context["user"].username == "ben"


def test_it_refuses_a_sign_up_with_an_e_mail_already_in_use(client, user):
    response = signup(client, email="ADA@example.org")
    assert response.status_code == 200
    assert "An account already uses this e-mail address." in response.context["form"].errors["email"]
    assert not get_user_model().objects.filter(username="ben").exists()


def test_it_refuses_a_weak_password_with_a_message(client):
    response = signup(client, password1="12345678", password2="12345678")
    assert response.status_code == 200
    assert "This password is too common." in response.context["form"].errors["password2"]


def test_it_logs_in(client, user):
    response = client.post(reverse("login"), {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_it_says_so_when_the_password_is_wrong(client, user):
    response = client.post(reverse("login"), {"username": "ada", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


def test_it_logs_out_on_post(signed_in_client, user):
    assert signed_in_client.post(reverse("logout")).status_code == 302
    assert signed_in_client.get(reverse("home")).status_code == 302


def test_it_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next=/"


@pytest.mark.parametrize("name", ["login", "signup", "password_reset"])
def test_the_pages_to_get_in_are_open_to_anonymous_visitors(client, name):
    assert client.get(reverse(name)).status_code == 200


def test_it_changes_the_password(signed_in_client, user):
    response = signed_in_client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-long-passphrase-7",
            "new_password2": "another-long-passphrase-7",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("another-long-passphrase-7")


def test_it_resets_a_forgotten_password_by_e_mail(client, user):
    client.post(reverse("password_reset"), {"email": "ada@example.org"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "brand-new-passphrase-99", "new_password2": "brand-new-passphrase-99"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand-new-passphrase-99")


def test_a_reset_for_an_unknown_address_reveals_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_changing_the_password_revokes_the_api_tokens(signed_in_client, user):
    _, key = ApiToken.issue(user=user, name="backup")
    new = "another-long-passphrase-7"
    response = signed_in_client.post(
        reverse("password_change"), {"old_password": PASSWORD, "new_password1": new, "new_password2": new}, follow=True
    )
    assert ApiToken.user_for(key) is None
    assert "Your API tokens were revoked with the old password" in response.text


def test_resetting_the_password_revokes_the_api_tokens(client, user):
    _, key = ApiToken.issue(user=user, name="backup")
    client.post(reverse("password_reset"), {"email": "ada@example.org"})
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "A new password also revokes your API tokens" in form_page.text
    new = "brand-new-passphrase-99"
    client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert ApiToken.user_for(key) is None


def test_the_password_page_says_that_a_new_password_revokes_the_tokens(signed_in_client):
    assert "A new password also revokes your" in signed_in_client.get(reverse("password_change")).text
