"""Jobs run by a real Celery worker, watched live in a real browser and steered from the admin meanwhile."""

import pytest
from celery.result import AsyncResult
from django.urls import reverse
from playwright.sync_api import expect

from conftest import PASSWORD, log_in
from jobs.models import Job
from jobs.services import sync as tracking
from profiles.models import Photo, Post
from profiles.tests.factories import settled
from profiles.tests.fake_instagram import sample_posts

pytestmark = pytest.mark.django_db(transaction=True)

JOBS = reverse("admin:jobs_job_changelist")


@pytest.fixture
def instagram(fake_instagram, signed_in):
    fake_instagram.add_profile(posts=sample_posts())
    return fake_instagram


def act(client, action, job):
    return client.post(JOBS, {"action": action, "_selected_action": [job.pk]})


@pytest.mark.browser
def test_the_list_shows_a_sync_progress_live_without_a_reload(page, user, scrape_worker, instagram, paused_download):
    reached, release = paused_download("C7carou0002")  # the worker holds on the second post
    log_in(page, "ada", PASSWORD)
    page.get_by_label("Instagram profile").fill("natgeotravel")
    page.get_by_role("button", name="Add").click()
    page.evaluate("window.notReloaded = true")
    state = page.locator("#profile-natgeotravel .state-cell")
    assert reached.wait(30)
    expect(state).to_have_text("Scraping 1/7 posts", timeout=15_000)
    release.set()
    expect(state).to_have_text("Indexing 0/9 photos", timeout=15_000)  # the ml queue is not run here
    assert page.evaluate("window.notReloaded") is True


def test_staff_cancel_a_running_sync_then_retry_it_twice_without_duplicates(
    client, staff, user, scrape_worker, instagram, paused_download
):
    reached, release = paused_download("C7carou0002")
    _, job = tracking.profile_track(user=user, text="natgeotravel")
    assert reached.wait(30)
    client.force_login(staff)
    act(client, "cancel", job)
    release.set()
    AsyncResult(Job.objects.get(pk=job.pk).celery_task_id).get(timeout=30)  # the worker is done with it
    assert (settled(job).status, Post.objects.count()) == (Job.Status.CANCELLED, 2)  # it stopped after that post
    act(client, "retry", job)
    act(client, "retry", job)  # a double click
    retry = settled(Job.objects.get(retry_of=job))
    assert (retry.status, Post.objects.count(), Photo.objects.count()) == (Job.Status.DONE, 7, 9)
    assert Job.objects.filter(kind=Job.Kind.SYNC).count() == 2


def test_a_failed_sync_retried_by_staff_runs_again(client, staff, user, scrape_worker, fake_instagram, signed_in):
    _, job = tracking.profile_track(user=user, text="natgeotravel")  # not on (the fake) Instagram yet
    job = settled(job)
    assert job.status == Job.Status.FAILED and job.message
    fake_instagram.add_profile(posts=sample_posts())
    client.force_login(staff)
    act(client, "retry", job)
    retry = settled(Job.objects.get(retry_of=job))
    assert (retry.status, retry.message, Job.objects.get(pk=job.pk).status) == ("done", "7 new posts.", "failed")


@pytest.mark.browser
def test_the_jobs_dashboard_refreshes_itself(page, staff):
    log_in(page, "admin", "a-long-admin-passphrase-42", at="/admin/login/")
    page.goto(reverse("admin:jobs_job_dashboard"))
    failed_count = page.locator("#queue-scrape td").nth(3)  # queued, running, waiting, failed
    expect(failed_count).to_have_text("0")
    job = Job.objects.create(kind=Job.Kind.SYNC)
    job.claim()
    job.fail("Instagram did not answer.")
    expect(page.locator("#failures")).to_contain_text("Instagram did not answer.", timeout=12_000)
    expect(failed_count).to_have_text("1")
