"""Every page, as people meet it: on a phone and a desktop, in French and English, light and dark, in a
real Chromium; axe-core (photosearch/tests/axe, pinned) finds no serious or critical violation.

One browser context per language, reused across pages; the colour scheme and the size change on the
page already loaded (emulate_media, set_viewport_size), so that the whole matrix costs a few page loads.
English runs every scheme at every size; French (the same colours and layout, other words) two of
them, so that every pair of language, scheme and size is checked on every page.
"""

import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.models import ApiToken
from alerts.models import Notification, SavedSearch
from conftest import PASSWORD, log_in
from jobs.models import Job
from profiles.models import InstagramProfile, Photo, Post, Tracking
from profiles.services.videos import video_frames_store
from profiles.tests.factories import make_photo, make_post, make_profile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "axe" / "axe.min.js").read_text()
PHONES = (360, 390)
TABLET = 768
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}
MATRIX = {
    "en-US": [("light", PHONE), ("light", DESKTOP), ("dark", PHONE), ("dark", DESKTOP)],
    "fr-FR": [("light", DESKTOP), ("dark", PHONE)],
}
FRENCH_LOG_IN = ("Nom d\u2019utilisateur", "Mot de passe", "Se connecter")
# The pages a person signed in goes through (the photo's own page and "more like this" are added once known).
PAGES = ["/search/?q=espresso", "/", "/@photosearch_demo/", "/saved-searches/", "/alerts/", "/accounts/tokens/",
         "/accounts/password_change/", "/no-such-page/"]  # fmt: skip
SIGNED_OUT_PAGES = ["/accounts/login/", "/accounts/signup/", "/accounts/password_reset/"]


@pytest.fixture
def demo(user):
    """Ada tracks the demo (its index job waits for the models), has a saved search, an alert and a token."""
    call_command("load_demo", stdout=StringIO(), stderr=StringIO())
    profile = InstagramProfile.objects.get(username="photosearch_demo")
    message = "The image-text model x is not available on this machine."
    Job.objects.create(kind=Job.Kind.INDEX, profile=profile, status=Job.Status.FAILED, progress_total=29,
                       message=message, waits_for_models=True)  # fmt: skip
    saved = SavedSearch.objects.create(user=user, name="Coffee", query="espresso")
    photo = Photo.objects.filter(post__profile=profile).order_by("pk").first()
    Notification.objects.create(saved_search=saved, photo=photo)
    ApiToken.issue(user=user, name="backup script")
    video_frames_store(post_id=Post.objects.get(profile=profile, kind=Post.Kind.VIDEO).pk)  # the reel's frame strip
    return photo


def reel_frame() -> Photo:
    """A frame of the demo's reel, whose page shows the video's frame strip."""
    return Photo.objects.exclude(video_time=None).order_by("video_time")[1]


def signed_in_context(browser, live_server, *, locale: str):
    # axe-core is injected as an inline script, which the site's CSP refuses: these pages let it in
    # (photosearch/tests/test_csp.py checks the policy itself, on pages of its own).
    context = browser.new_context(base_url=live_server.url, locale=locale, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    username, password, button = FRENCH_LOG_IN if locale == "fr-FR" else ("Username", "Password", "Log in")
    page.goto("/accounts/login/")
    page.get_by_label(username).fill("ada")
    page.get_by_label(password).fill(PASSWORD)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(lambda url: "/login/" not in url)
    return context, page


def until(page, expression: str, timeout: float = 10) -> None:
    """Playwright's wait_for_function without its eval (the CSP refuses it): the expression, until true."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"Still false after {timeout} s: {expression}"
        page.wait_for_timeout(50)


def serious_violations(page) -> list[str]:
    """axe-core's violations of impact serious or critical (WCAG 2.1 A and AA, and best practices)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(content=AXE)
    found = page.evaluate(
        """async () => (await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}, resultTypes: ['violations']}))
           .violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
           .map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`)"""
    )
    return found


def wider_than_viewport(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_no_page_is_wider_than_a_phone_or_a_tablet_in_french(browser, live_server, user, demo):
    context, page = signed_in_context(browser, live_server, locale="fr-FR")  # French: the longer words
    too_wide = []
    # The search page again with its filters open (a filter is set), and the photo's own pages.
    extra = ["/search/?q=espresso&kind=image", f"/photos/{demo.pk}/", f"/photos/{demo.pk}/similar/"]
    for path in [*PAGES, *extra, f"/photos/{reel_frame().pk}/"]:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(path)
        for width in (*PHONES, TABLET):
            page.set_viewport_size({"width": width, "height": 800})
            if (extra := wider_than_viewport(page)) > 0:
                too_wide.append(f"{path} at {width}px: {extra}px too wide")
    context.clear_cookies()  # signed out
    for path in SIGNED_OUT_PAGES:
        page.goto(path)
        page.set_viewport_size({"width": PHONES[0], "height": 800})
        if (extra := wider_than_viewport(page)) > 0:
            too_wide.append(f"{path} at {PHONES[0]}px: {extra}px too wide")
    context.close()
    assert too_wide == []


def test_on_a_phone_the_links_and_buttons_are_big_enough_to_tap(browser, live_server, user, demo):
    context, page = signed_in_context(browser, live_server, locale="en-US")
    page.set_viewport_size({"width": 390, "height": 844})
    small = []
    for path in ("/@photosearch_demo/", "/search/?q=espresso", "/saved-searches/"):
        page.goto(path)
        boxes = page.eval_on_selector_all(
            "header a, header button, main button, main summary, main .links a, footer button",
            "all => all.filter((e) => e.offsetParent).map((e) => [e.textContent.trim().slice(0, 30),"
            " e.getBoundingClientRect().height])",
        )
        small += [f"{path} “{text}”: {height:.0f}px" for text, height in boxes if height < 44]
    context.close()
    assert small == []


def check(page, path: str, locale: str) -> list[str]:
    page.goto(path)
    assert page.locator("html").get_attribute("lang") == locale[:2]
    found = []
    for scheme, viewport in MATRIX[locale]:
        page.emulate_media(color_scheme=scheme)
        page.set_viewport_size(viewport)
        found += [f"{path} {scheme} {viewport['width']}px: {v}" for v in serious_violations(page)]
    return found


@pytest.mark.parametrize("locale", MATRIX)
def test_every_page_has_no_serious_accessibility_violation_light_or_dark_on_a_phone_or_a_desktop(
    browser, live_server, user, demo, locale
):
    context, page = signed_in_context(browser, live_server, locale=locale)
    found = [
        v for path in [*PAGES, f"/photos/{demo.pk}/", f"/photos/{reel_frame().pk}/"] for v in check(page, path, locale)
    ]
    context.close()
    signed_out = browser.new_context(base_url=live_server.url, locale=locale, bypass_csp=True)
    page = signed_out.new_page()
    found += [v for path in SIGNED_OUT_PAGES for v in check(page, path, locale)]
    signed_out.close()
    assert found == []


def test_the_footer_switches_to_french_and_the_account_keeps_it_on_the_next_log_in(signed_in_page, user):
    page = signed_in_page
    page.goto("/search/")
    page.get_by_role("button", name="Français").click()
    page.get_by_role("heading", name="Retrouver une photo").wait_for()
    assert page.locator("html").get_attribute("lang") == "fr"
    page.context.clear_cookies()  # another browser: no cookie, no session
    log_in(page, "ada", PASSWORD, at="/accounts/login/?next=/search/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", name="Retrouver une photo").is_visible()


@pytest.fixture
def three_photos(user):
    profile = make_profile("sailor")
    Tracking.objects.create(user=user, profile=profile)
    return [make_photo(make_post(profile, f"Boat{n}"), description=f"boat {n}") for n in range(3)]


def test_the_lightbox_steps_through_the_photos_and_has_an_address_of_its_own(signed_in_page, three_photos):
    page = signed_in_page
    page.goto("/@sailor/")
    cards = page.locator("main a.thumb")
    second = cards.nth(1).get_attribute("data-photo")
    cards.first.click()
    box = page.locator("dialog#lightbox")
    box.locator(".photo-detail").wait_for()
    assert box.get_by_role("button", name="Previous photo").is_disabled()
    page.keyboard.press("ArrowRight")
    box.locator(f".photo-detail[data-photo='{second}']").wait_for()
    until(page, f"location.hash === '#photo-{second}'")
    for _ in range(8):  # Tab goes round the lightbox's controls, never to the page behind it
        page.keyboard.press("Tab")
        assert box.evaluate("box => box.contains(document.activeElement)")
    box.get_by_role("button", name="Previous photo").click()
    box.locator(f".photo-detail[data-photo='{cards.first.get_attribute('data-photo')}']").wait_for()
    page.keyboard.press("ArrowRight")
    box.locator(f".photo-detail[data-photo='{second}']").wait_for()
    page.keyboard.press("Escape")
    # Closed, focus goes back to the card of the photo last shown, and the address is the page's again.
    until(page, f"!document.getElementById('lightbox').open && document.activeElement.dataset.photo === '{second}'")
    assert page.evaluate("location.hash") == ""

    page.goto("/")
    page.goto(f"/@sailor/#photo-{second}")  # an address with a photo opens it
    box.locator(f".photo-detail[data-photo='{second}']").wait_for()
    assert box.evaluate("box => box.open")


def swipe(page, dx: int) -> None:
    page.evaluate(
        """(dx) => { const box = document.getElementById('lightbox');
           const at = (x) => [new Touch({identifier: 1, target: box, clientX: x, clientY: 300})];
           box.dispatchEvent(new TouchEvent('touchstart', {changedTouches: at(200), bubbles: true}));
           box.dispatchEvent(new TouchEvent('touchend', {changedTouches: at(200 + dx), bubbles: true})); }""",
        dx,
    )


def test_on_a_phone_a_swipe_steps_and_copy_link_copies_the_photos_address(browser, live_server, user, three_photos):
    context = browser.new_context(base_url=live_server.url, has_touch=True, viewport={"width": 390, "height": 844})
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    log_in(page, "ada", PASSWORD, at="/accounts/login/?next=/@sailor/")
    first, second = (card.get_attribute("data-photo") for card in page.locator("main a.thumb").all()[:2])
    page.locator("main a.thumb").first.click()
    box = page.locator("dialog#lightbox")
    box.locator(f".photo-detail[data-photo='{first}']").wait_for()
    swipe(page, -120)  # to the left: the next photo
    box.locator(f".photo-detail[data-photo='{second}']").wait_for()
    swipe(page, 120)
    box.locator(f".photo-detail[data-photo='{first}']").wait_for()
    box.get_by_role("link", name="Copy link").click()
    box.get_by_text("Link copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == f"{live_server.url}/photos/{first}/"
    context.close()


def test_the_result_count_is_announced_and_the_cards_are_not(signed_in_page, demo):
    page = signed_in_page
    page.goto("/search/")
    page.get_by_label("Describe the photo").fill("espresso")
    count = page.locator("#result-count")
    count.get_by_text("1 post matches “espresso”.").wait_for()
    assert count.get_attribute("aria-live") == "polite"
    assert page.locator("[aria-live] .hit, .hit[aria-live]").count() == 0
    assert page.locator(".hit").count() == 1


def test_stop_tracking_asks_first_and_only_the_confirmation_acts(signed_in_page, three_photos):
    page = signed_in_page
    page.goto("/@sailor/")
    page.locator("details.confirm summary").click()
    assert page.get_by_text("Stop tracking @sailor? Its photos leave your searches").is_visible()
    page.goto("/")  # left without confirming: still tracked
    assert page.locator("#profile-sailor").is_visible()
    page.locator("#profile-sailor details.confirm summary").click()
    page.get_by_role("button", name="Stop tracking @sailor").click()
    assert "You no longer track @sailor" in page.locator(".messages").inner_text()


def test_on_a_phone_the_links_fold_behind_a_menu_button(signed_in_page):
    page = signed_in_page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/search/")
    menu = page.get_by_role("button", name="Menu")
    assert page.get_by_role("link", name="Saved searches").is_hidden()
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    page.get_by_role("link", name="Saved searches").click()
    page.get_by_role("heading", name="Saved searches").wait_for()
    page.set_viewport_size({"width": 1280, "height": 800})  # on a desktop: the links, no button
    assert page.get_by_role("link", name="Saved searches").is_visible() and menu.is_hidden()
