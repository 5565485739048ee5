"""Every link and button a newcomer meets on the demo: the profile page, the search page, a result and
its lightbox, followed in a real Chromium: no error page, no form error, no link to a page that does not exist."""

from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from profiles.models import Tracking

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_page(user, signed_in_page):
    call_command("load_demo", stdout=StringIO(), stderr=StringIO())
    assert Tracking.objects.filter(user=user, profile__username="photosearch_demo").exists()
    return signed_in_page


def links(page) -> set[str]:
    """The links of the page's main content and lightbox (the header's own are the same everywhere)."""
    hrefs = page.eval_on_selector_all("main a[href], #lightbox a[href]", "all => all.map(a => a.href)")
    return {href for href in hrefs if not href.startswith("javascript:")}


def assert_all_work(page, hrefs: set[str]) -> None:
    for href in sorted(hrefs):
        assert urlsplit(href).hostname in ("localhost", "127.0.0.1"), f"a link off photosearch: {href}"
        response = page.request.get(href)
        assert response.status < 400, f"{href} answered {response.status}"
        if "text/html" in response.headers.get("content-type", ""):
            assert 'class="error"' not in response.text(), f"{href} shows an error"


def test_every_link_and_button_of_the_demo_works(demo_page):
    page = demo_page
    page.goto("/@photosearch_demo/")
    assert_all_work(page, links(page))

    page.get_by_role("link", name="Search its photos").click()
    page.locator(".hit").first.wait_for()
    assert page.locator(".error").count() == 0
    page.get_by_label("Describe the photo").fill("espresso")
    page.get_by_role("button", name="Search").click()
    first = page.locator(".hit").first
    first.wait_for()
    assert page.locator(".error").count() == 0
    assert_all_work(page, links(page))

    first.locator("a.thumb").click()  # the lightbox
    page.locator("#lightbox .photo-detail").wait_for()
    assert_all_work(page, links(page))
    page.locator("#lightbox [data-close-lightbox]").click()

    page.goto("/@photosearch_demo/")
    page.locator("details.confirm summary").click()  # asks first
    page.get_by_role("button", name="Stop tracking @photosearch_demo").click()
    assert "You no longer track @photosearch_demo" in page.locator(".messages").inner_text()
    assert page.locator(".error").count() == 0
