"""The profiles page in a real Chromium against a live server (no worker: the sync waits in its queue)."""

import pytest

from jobs.models import Job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def add(page, text: str) -> None:
    page.get_by_label("Instagram profile").fill(text)
    page.get_by_role("button", name="Add").click()


def test_a_user_adds_a_profile_and_sees_it_at_once_with_its_status(signed_in_page):
    page = signed_in_page
    add(page, "https://www.instagram.com/NatGeoTravel/")
    row = page.locator("#profile-natgeotravel")
    row.wait_for()
    assert "@natgeotravel" in row.inner_text()
    assert "Queued" in row.inner_text()  # no worker here: the first sync waits in its queue
    assert page.get_by_role("status").inner_text() == "@natgeotravel is in your list; its posts are on their way."
    assert Job.objects.filter(profile__username="natgeotravel", kind=Job.Kind.SYNC).count() == 1


def test_a_bad_username_shows_the_form_error(signed_in_page):
    page = signed_in_page
    add(page, "nat geo!")
    error = page.locator(".field.invalid .error")
    error.wait_for()
    assert error.inner_text() == (
        "An Instagram username has 1 to 30 characters: letters, digits, periods and underscores."
    )
    assert page.get_by_text("You track no Instagram profile yet.").is_visible()
    assert not Job.objects.exists()
