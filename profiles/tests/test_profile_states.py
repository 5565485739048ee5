"""The state each profile shows in the list, in plain words, from its jobs."""

from datetime import UTC, datetime

import pytest

from profiles.models import InstagramProfile, Job
from profiles.selectors import profile_states
from profiles.tests.factories import make_profile

pytestmark = pytest.mark.django_db


def state_of(profile):
    return profile_states(profiles=[profile])[profile.pk]


@pytest.fixture
def profile():
    return make_profile("natgeotravel")


def running(kind, profile, done=0, total=None):
    job = Job.objects.create(kind=kind, profile=profile, progress_total=total)
    job.claim()
    job.report_progress(done, total)
    return job


def test_it_says_queued_while_the_sync_waits_for_a_worker(profile):
    Job.objects.create(kind=Job.Kind.SYNC, profile=profile)
    assert (state_of(profile).label, state_of(profile).active) == ("Queued", True)


def test_it_counts_the_posts_a_sync_has_scraped(profile):
    running(Job.Kind.SYNC, profile, done=12, total=40)
    assert state_of(profile).label == "Scraping 12/40 posts"


def test_it_says_until_when_it_waits_for_instagram(profile, settings):
    settings.TIME_ZONE = "Europe/Paris"
    job = running(Job.Kind.SYNC, profile)
    job.wait(datetime(2026, 11, 25, 13, 5, tzinfo=UTC), "Waiting for Instagram until 14:05")
    assert state_of(profile).label == "Waiting for Instagram until 14:05"


def test_it_adds_up_the_photos_of_every_index_job_under_way(profile):
    running(Job.Kind.INDEX, profile, done=32, total=32)
    Job.objects.create(kind=Job.Kind.INDEX, profile=profile, progress_total=9)
    assert state_of(profile).label == "Indexing 32/41 photos"


def test_a_failed_sync_shows_its_reason_but_not_its_traceback(profile):
    running(Job.Kind.SYNC, profile).fail("This profile is private.", error="Traceback (most recent call last): ...")
    state = state_of(profile)
    assert (state.label, state.detail, state.failed, state.active) == (
        "Failed",
        "This profile is private.",
        True,
        False,
    )


def test_an_up_to_date_profile_says_when_it_was_synced(profile):
    profile.status, profile.last_synced_at = InstagramProfile.Status.READY, datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    profile.save()
    assert (state_of(profile).label, state_of(profile).detail) == ("Up to date", "synced 24 Nov 2026, 09:30")


def test_a_later_successful_sync_clears_an_earlier_failure(profile):
    running(Job.Kind.SYNC, profile).fail("Instagram did not answer.")
    running(Job.Kind.SYNC, profile).finish("2 new posts.")
    InstagramProfile.objects.filter(pk=profile.pk).update(status=InstagramProfile.Status.READY)
    profile.refresh_from_db()
    assert state_of(profile).label == "Up to date"


def test_an_index_failure_is_said_beside_an_up_to_date_profile(profile):
    InstagramProfile.objects.filter(pk=profile.pk).update(status=InstagramProfile.Status.READY)
    profile.refresh_from_db()
    running(Job.Kind.INDEX, profile, total=3).fail("The model x is not downloaded: run manage.py download_models.")
    assert (
        state_of(profile).detail == "Photos not indexed: The model x is not downloaded: run manage.py download_models."
    )


def test_a_cancelled_sync_says_so_rather_than_up_to_date(profile):
    InstagramProfile.objects.filter(pk=profile.pk).update(status=InstagramProfile.Status.READY)
    profile.refresh_from_db()
    running(Job.Kind.SYNC, profile, done=2, total=7).cancel()
    assert (state_of(profile).label, state_of(profile).active) == ("Cancelled", False)
