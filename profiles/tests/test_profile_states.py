"""The state each profile shows in the list, in plain words, from its jobs."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from jobs.models import Job
from jobs.selectors import PhotoCounts, ProfileStatus, profile_state
from profiles.models import InstagramProfile, Tracking
from profiles.tests.factories import SYNCED, make_photo, make_post, make_profile

pytestmark = pytest.mark.django_db


def state_of(profile):
    return profile_state(profile)


@pytest.fixture
def profile():
    return make_profile("natgeotravel")


@pytest.fixture
def synced_profile():
    return make_profile("natgeotravel", last_synced_at=SYNCED)


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
    profile.last_synced_at = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    profile.save()
    assert (state_of(profile).label, state_of(profile).detail) == ("Up to date", "synced 24 Nov 2026, 09:30")


def test_a_profile_never_synced_says_so(profile):
    assert (state_of(profile).status, state_of(profile).label) == (ProfileStatus.NEW, "Not synced yet")


def test_a_later_successful_sync_clears_an_earlier_failure(profile):
    running(Job.Kind.SYNC, profile).fail("Instagram did not answer.")
    running(Job.Kind.SYNC, profile).finish("2 new posts.")
    assert (state_of(profile).status, state_of(profile).label) == (ProfileStatus.READY, "Up to date")


def test_a_later_failure_shows_over_an_earlier_success(synced_profile):
    running(Job.Kind.SYNC, synced_profile).finish("2 new posts.")
    running(Job.Kind.SYNC, synced_profile).fail("Instagram did not answer.")
    assert (state_of(synced_profile).status, state_of(synced_profile).detail) == (
        ProfileStatus.FAILED,
        "Instagram did not answer.",
    )


def test_an_index_failure_is_said_beside_an_up_to_date_profile(synced_profile):
    running(Job.Kind.INDEX, synced_profile, total=3).fail(
        "The model x is not downloaded: run manage.py download_models."
    )
    assert state_of(synced_profile).detail == (
        "synced 1 Nov 2026, 08:00 · Photos not indexed: The model x is not downloaded: run manage.py download_models."
    )


def test_a_cancelled_sync_says_so_rather_than_up_to_date(synced_profile):
    running(Job.Kind.SYNC, synced_profile, done=2, total=7).cancel()
    assert (state_of(synced_profile).label, state_of(synced_profile).active) == ("Cancelled", False)


def test_the_demo_profile_is_up_to_date_without_any_sync(profile):
    InstagramProfile.objects.filter(pk=profile.pk).update(is_demo=True)
    profile.refresh_from_db()
    assert state_of(profile).status == ProfileStatus.READY


def searchable_and_queued(profile):
    """A photo made searchable, its second pass queued: the profile is being described."""
    from django.conf import settings

    make_photo(
        make_post(profile), image_hashes=[1], image_embedding_model=settings.IMAGE_TEXT_MODEL,
        text_embedding_model=settings.TEXT_MODEL, describe_queued_at=timezone.now(),
    )  # fmt: skip


def test_it_says_describing_while_second_passes_are_queued_and_counts_the_photos(synced_profile):
    searchable_and_queued(synced_profile)
    state = state_of(synced_profile)
    assert (state.status, state.label, state.active) == (ProfileStatus.DESCRIBING, "Describing 0/1 photos", True)
    assert state.photos.label == "Searchable 1/1 · Described 0/1"


def test_an_index_job_under_way_says_indexing_over_describing(synced_profile):
    searchable_and_queued(synced_profile)
    running(Job.Kind.INDEX, synced_profile, done=3, total=8)
    assert state_of(synced_profile).label == "Indexing 3/8 photos"


def test_large_counts_are_grouped_in_thousands():
    assert PhotoCounts(total=1000, searchable=640, described=120).label == "Searchable 640/1,000 · Described 120/1,000"


STATES = {
    ProfileStatus.NEW: lambda profile: None,
    ProfileStatus.QUEUED: lambda profile: Job.objects.create(kind=Job.Kind.SYNC, profile=profile),
    ProfileStatus.SYNCING: lambda profile: running(Job.Kind.SYNC, profile, done=3, total=9),
    ProfileStatus.IMPORTING: lambda profile: running(Job.Kind.IMPORT, profile, done=1),
    ProfileStatus.WAITING: lambda profile: running(Job.Kind.SYNC, profile).wait(
        datetime(2026, 11, 25, 13, 5, tzinfo=UTC), "Waiting for Instagram until 13:05"
    ),
    ProfileStatus.INDEXING: lambda profile: running(Job.Kind.INDEX, profile, done=1, total=4),
    ProfileStatus.DESCRIBING: lambda profile: searchable_and_queued(profile),
    ProfileStatus.FAILED: lambda profile: running(Job.Kind.SYNC, profile).fail("This profile is private."),
    ProfileStatus.CANCELLED: lambda profile: running(Job.Kind.SYNC, profile).cancel(),
    ProfileStatus.READY: lambda profile: running(Job.Kind.SYNC, profile).finish("2 new posts."),
}


@pytest.mark.parametrize("status", STATES)
def test_the_page_the_api_and_the_admin_say_the_same_state(status, client, staff, profile):
    Tracking.objects.create(user=staff, profile=profile)
    STATES[status](profile)
    state = state_of(profile)
    assert state.status == status
    client.force_login(staff)

    page = client.get(reverse("profile_detail", args=[profile.username])).text
    assert escape(state.label) in page and escape(state.detail) in page
    api = client.get("/api/profiles").json()
    assert [(p["status"], p["status_label"], p["status_message"]) for p in api] == [(status, state.label, state.detail)]
    admin_list = client.get(reverse("admin:profiles_instagramprofile_changelist"), {"state": status}).text
    # Filtered by this state, the admin's list shows the profile, in the same words.
    assert escape(f"{state.label} · {state.detail}" if state.detail else state.label) in admin_list
