"""The search page in a real Chromium: as you type, without JavaScript, the lightbox, and a photo dropped or pasted."""

import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import PASSWORD, log_in
from profiles.tests.factories import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_results_come_as_you_type_and_the_url_keeps_the_query(signed_in_page):
    page = signed_in_page
    page.goto("/search/")
    page.evaluate("window.marker = 'same page'")  # gone if the browser loaded a new page
    page.get_by_label("Describe the photo").press_sequentially("boat at sunset", delay=30)
    first = page.locator(".hit").first
    first.wait_for()
    assert "instagram.com/p/Boat/" in first.get_by_role("link", name="Open on Instagram").get_attribute("href")
    assert page.evaluate("window.marker") == "same page"
    # hx-push-url puts the query in the address bar (history.pushState: no navigation to wait for).
    # A Python predicate: a string would be evaluated in the page, which the CSP refuses (no eval).
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("q") == ["boat at sunset"])


def test_the_lightbox_shows_the_photo_and_closes(signed_in_page):
    page = signed_in_page
    page.goto("/search/?q=a+cat+on+a+sofa")
    page.locator(".hit .thumb").first.click()
    dialog = page.locator("dialog#lightbox")
    dialog.get_by_text("a cat asleep on a sofa").wait_for()
    assert dialog.evaluate("box => box.open")
    dialog.get_by_role("button", name="Close").click()
    assert not dialog.evaluate("box => box.open")


def test_it_works_with_javascript_off(browser, live_server, ana):
    ana.set_password(PASSWORD)
    ana.save()
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    log_in(page, "ana", PASSWORD, at="/accounts/login/?next=/search/")
    page.get_by_label("Describe the photo").fill("Lisbon")
    page.get_by_role("button", name="Search").click()
    assert page.locator(".hit .chip.exact").first.inner_text() == "Lisbon"
    assert "q=Lisbon" in page.url
    context.close()


@pytest.mark.parametrize(
    "gesture",
    [
        "form.dispatchEvent(new DragEvent('drop', {dataTransfer: chosen, bubbles: true, cancelable: true}))",
        "document.dispatchEvent(new ClipboardEvent('paste', {clipboardData: chosen, bubbles: true, cancelable: true}))",
    ],
    ids=["dropped", "pasted"],
)
def test_a_photo_dropped_or_pasted_on_the_page_is_searched_with(signed_in_page, gesture):
    page = signed_in_page
    page.goto("/search/")
    photo = base64.b64encode(jpeg_bytes()).decode()  # the very image of Ana's photos
    page.evaluate(
        "(data) => { const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));"
        " const chosen = new DataTransfer(); chosen.items.add(new File([bytes], 'photo.jpg', {type: 'image/jpeg'}));"
        f" const form = document.getElementById('image-search'); {gesture}; }}",
        photo,
    )
    page.wait_for_url("**/search/by-image/")
    assert page.locator(".hit .chip").first.inner_text() == "The same photo"
