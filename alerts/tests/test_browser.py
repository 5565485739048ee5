"""Saved searches and alerts in a real Chromium, as a person uses them."""

from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_search_is_saved_from_the_search_page_then_renamed_and_deleted(signed_in_page, sailor):
    page = signed_in_page
    page.goto("/search/")
    page.get_by_label("Describe the photo").press_sequentially("red boat", delay=20)
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("q") == ["red boat"])  # results are in
    page.get_by_label("Name of this search").fill("My boats")
    page.get_by_label("E-mail me new matches daily").check()
    page.get_by_role("button", name="Save this search").click()
    page.get_by_text("Saved “My boats”").wait_for()

    page.get_by_label("Name of “My boats”").fill("Red boats")
    page.get_by_role("button", name="Save", exact=True).click()
    assert page.get_by_label("Name of “Red boats”").input_value() == "Red boats"
    assert page.get_by_label("Daily e-mail").is_checked()

    page.locator("details.confirm summary").click()  # asks first
    page.get_by_role("button", name="Delete “Red boats”").click()
    page.get_by_text("No saved search yet").wait_for()


def test_the_header_counts_new_alerts_until_they_are_seen(signed_in_page, notified):
    page = signed_in_page
    page.goto("/search/")
    page.get_by_role("link", name="Alerts 2").click()
    page.get_by_role("heading", name="Boats").wait_for()
    assert page.locator(".alerts-group .hit").count() == 2
    page.locator(".alerts-group .hit .thumb").first.click()  # opens the photo, with its post
    page.locator("dialog#lightbox[open]").wait_for()
    page.goto("/search/")
    assert page.get_by_role("link", name="Alerts", exact=True).is_visible()
