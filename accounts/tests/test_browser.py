"""The pattern every page follows: a real Chromium against a live server."""

import pytest
from django.contrib.auth import get_user_model

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-and-unusual-passphrase-42"


def test_a_visitor_signs_up_logs_out_and_logs_in_again(page):
    page.goto("/")
    assert page.url.endswith("/accounts/login/?next=/")
    page.get_by_role("link", name="Sign up").last.click()

    page.get_by_label("Username").fill("claire")
    page.get_by_label("E-mail address").fill("claire@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    page.get_by_role("heading", name="Your profiles").wait_for()
    assert get_user_model().objects.filter(username="claire").exists()

    page.get_by_role("button", name="Log out").click()
    page.get_by_role("heading", name="Log in").wait_for()
    assert page.get_by_role("button", name="Log out").count() == 0

    page.get_by_label("Username").fill("claire")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Your profiles").wait_for()
    assert "claire" in page.get_by_role("button", name="Log out").inner_text()


def test_a_wrong_password_gets_a_message_not_a_page_of_errors(page):
    get_user_model().objects.create_user("dan", "dan@example.org", PASSWORD)
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("dan")
    page.get_by_label("Password").fill("not-it")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").first.inner_text().startswith("Please enter a correct username and password")
