"""The profiles page in a real Chromium against a live server (no worker: the sync waits in its queue)."""

import pytest
from django.contrib.auth import get_user_model

from conftest import log_in
from profiles.models import Job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-and-unusual-passphrase-42"


@pytest.fixture
def signed_in_page(page):
    get_user_model().objects.create_user("ada", "ada@example.org", PASSWORD)
    log_in(page, "ada", PASSWORD)
    page.get_by_role("heading", name="Your profiles").wait_for()
    return page


def test_a_user_adds_a_profile_and_sees_it_at_once_with_its_status(signed_in_page):
    page = signed_in_page
    page.get_by_label("Instagram profile").fill("https://www.instagram.com/NatGeoTravel/")
    page.get_by_role("button", name="Add").click()
    row = page.locator("#profile-natgeotravel")
    row.wait_for()
    assert "@natgeotravel" in row.inner_text()
    assert "Queued" in row.inner_text()  # no worker here: the first sync waits in its queue
    assert page.get_by_role("status").inner_text() == "@natgeotravel is in your list; its posts are on their way."
    assert Job.objects.filter(profile__username="natgeotravel", kind=Job.Kind.SYNC).count() == 1


def test_a_bad_username_shows_the_form_error(signed_in_page):
    page = signed_in_page
    page.get_by_label("Instagram profile").fill("nat geo!")
    page.get_by_role("button", name="Add").click()
    error = page.locator(".field.invalid .error")
    error.wait_for()
    assert error.inner_text() == (
        "An Instagram username has 1 to 30 characters: letters, digits, periods and underscores."
    )
    assert page.get_by_text("You track no Instagram profile yet.").is_visible()
    assert not Job.objects.exists()
