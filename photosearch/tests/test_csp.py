"""A Content-Security-Policy on every page: scripts, styles and requests from this site only, nothing inline.

The browser test opens the pages people and staff use, HTMX swaps and the lightbox included, in a real
Chromium that enforces the policy: any violation Chromium reports fails it.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from jobs.models import Job
from profiles.models import Tracking
from profiles.tests.factories import make_photo, make_post, make_profile


@pytest.mark.django_db
def test_every_page_carries_a_policy_without_inline_scripts_or_eval(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


def violations_on(page, paths: list[str]) -> list[str]:
    """Chromium's reports of what the policy refused, on each of `paths` once loaded (HTMX's requests included)."""
    reported = []
    page.on("console", lambda message: "Content Security Policy" in message.text and reported.append(message.text))
    for path in paths:
        page.goto(path)  # once loaded: its scripts, styles and images are in (HTMX's swaps are tried below)
        reported.extend(f"{path}: {text}" for text in page.evaluate("window.violations || []"))
    return reported


@pytest.fixture
def staff_page(page, admin_user):
    """A Chromium page signed in as a superuser who tracks @sailor (one photo), with the violations listener."""
    from conftest import PASSWORD, log_in

    admin_user.set_password(PASSWORD)
    admin_user.save()
    sailor = make_profile("sailor")
    Tracking.objects.create(user=admin_user, profile=sailor)
    make_photo(post=make_post(profile=sailor, shortcode="Boat1"), description="a boat")
    Job.objects.create(kind=Job.Kind.SYNC, profile=sailor, status=Job.Status.FAILED, message="Instagram said no.")
    page.context.add_init_script(
        "document.addEventListener('securitypolicyviolation', (e) =>"
        " (window.violations = window.violations || []).push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    log_in(page, admin_user.get_username(), PASSWORD)
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_page_breaks_the_policy_and_htmx_still_works(staff_page):
    page = staff_page
    pages = [
        "/", "/search/", "/search/?profile=sailor", reverse("saved_searches"), reverse("notifications"),
        reverse("api_tokens"), reverse("password_change"), "/api/docs", "/@sailor/",
        reverse("admin:index"), reverse("admin:jobs_job_changelist"), reverse("admin:jobs_job_dashboard"),
        reverse("admin:profiles_instagramprofile_changelist"), reverse("admin:profiles_import_zip"),
        reverse("admin:profiles_instagramprofile_change", args=[Tracking.objects.get().profile_id]),
        reverse("admin:jobs_job_change", args=[Job.objects.get().pk]), reverse("admin:auth_user_add"),
    ]  # fmt: skip
    assert violations_on(page, pages) == []
    page.goto("/search/?profile=sailor")
    page.locator(".hit .thumb").first.click()  # HTMX fetches the photo's fragment into the lightbox
    page.locator("dialog#lightbox[open]").wait_for()
    page.locator("dialog#lightbox").get_by_role("button", name="Close").click()  # lightbox.js closes it
    page.locator("dialog#lightbox[open]").wait_for(state="detached")
    # The dialog's close event (a task after close()) hands focus back to the card: typed before it, keys are lost.
    expect(page.locator(".hit .thumb").first).to_be_focused()
    page.get_by_label("Describe the photo").press_sequentially("boat", delay=20)  # HTMX as you type
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("q") == ["boat"])
    assert page.evaluate("window.violations || []") == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_signed_out_pages_break_no_policy_either(page):
    assert violations_on(page, [reverse("login"), reverse("signup"), reverse("password_reset"), "/admin/login/"]) == []
