"""Retry and cancel, in any order of clicks: history kept, never two jobs for one click."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from jobs.models import Job
from jobs.selectors import ProfileStatus, profile_state
from jobs.services import jobs, sync
from jobs.services import sync as tracking
from profiles.models import InstagramProfile
from profiles.tests.factories import make_photo, make_post, make_profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile():
    return make_profile("natgeotravel", last_synced_at=datetime(2026, 11, 1, tzinfo=UTC))


def failed(kind, profile, **fields):
    job = Job.objects.create(kind=kind, profile=profile, **fields)
    job.claim()
    job.fail("Instagram did not answer.", error="Traceback ...")
    return job


def test_a_retry_is_a_new_job_and_the_failure_stays_in_the_history(profile):
    old = failed(Job.Kind.SYNC, profile)
    new = jobs.job_retry(job=old)
    old.refresh_from_db()
    assert (new.kind, new.status, new.retry_of, new.profile) == (Job.Kind.SYNC, Job.Status.QUEUED, old, profile)
    assert (old.status, old.message, old.error) == (Job.Status.FAILED, "Instagram did not answer.", "Traceback ...")


def test_a_second_retry_of_the_same_job_is_refused(profile):
    old = failed(Job.Kind.SYNC, profile)
    first = jobs.job_retry(job=old)
    with pytest.raises(jobs.JobRefused, match=f"retried already, as job #{first.pk}"):
        jobs.job_retry(job=old)
    assert Job.objects.filter(kind=Job.Kind.SYNC, status=Job.Status.QUEUED).count() == 1


def test_a_job_still_running_is_not_retried(profile):
    job = Job.objects.create(kind=Job.Kind.SYNC, profile=profile)
    job.claim()
    with pytest.raises(jobs.JobRefused, match="is running: only failed or cancelled jobs are retried"):
        jobs.job_retry(job=job)


def test_a_cancelled_job_can_be_retried_and_a_retried_one_no_longer_cancelled(profile):
    job = Job.objects.create(kind=Job.Kind.SYNC, profile=profile)
    assert jobs.job_cancel(job=job)
    retry = jobs.job_retry(job=job)
    assert not jobs.job_cancel(job=job)  # ended already: a late click changes nothing
    assert (Job.objects.get(pk=job.pk).status, retry.status) == (Job.Status.CANCELLED, Job.Status.QUEUED)


def test_cancelling_a_sync_that_never_started_leaves_no_syncing_profile(profile):
    jobs.job_cancel(job=Job.objects.create(kind=Job.Kind.SYNC, profile=profile))
    state = profile_state(profile)
    assert (state.status, state.label, state.active) == (ProfileStatus.CANCELLED, "Cancelled", False)


def test_the_database_holds_one_active_sync_per_profile(profile):
    first = sync.profile_sync_queue(profile=profile)
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(kind=Job.Kind.SYNC, profile=profile)  # past the service, straight to the table
    assert sync.profile_sync_queue(profile=profile) is None
    first.claim()
    first.finish("0 new posts.")
    assert sync.profile_sync_queue(profile=profile).status == Job.Status.QUEUED


def test_retrying_an_index_job_queues_the_photos_not_indexed_yet(
    profile, ml_queue, settings, django_capture_on_commit_callbacks
):
    post = make_post(profile)
    unread, indexed = make_photo(post, 1, index_error="image file unreadable"), make_photo(post, 2)
    indexed.image_embedding_model, indexed.description_model = settings.IMAGE_TEXT_MODEL, settings.DESCRIPTION_MODEL
    indexed.text_embedding_model, indexed.ocr_model = settings.TEXT_MODEL, settings.OCR_ENGINE
    indexed.image_hashes = [0x1234]  # hashed for search by a photo
    indexed.save()
    with django_capture_on_commit_callbacks(execute=True):
        new = jobs.job_retry(job=failed(Job.Kind.INDEX, profile, progress_total=2))
    assert (new.kind, new.progress_total) == (Job.Kind.INDEX, 1)
    assert ml_queue() == [("search.tasks.index_photos", [new.pk, [unread.pk]])]  # the failed photo gets another go


def test_retrying_an_import_reads_the_same_zip_again(profile):
    old = Job(kind=Job.Kind.IMPORT, profile=profile)
    old.source_file.save("natgeotravel.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18), save=False)
    old.save()
    old.claim()
    old.fail("This file is not a readable zip.")
    new = jobs.job_retry(job=old)
    assert (new.kind, new.source_file.name, new.retry_of) == (Job.Kind.IMPORT, old.source_file.name, old)


def test_refresh_now_is_refused_within_the_cooldown(profile, settings):
    settings.PROFILE_REFRESH_COOLDOWN_MINUTES = 15
    first = tracking.profile_sync_request(profile=profile, requested_by=None)
    first.claim()
    first.finish("1 new post.")
    with pytest.raises(jobs.JobRefused, match="it can be refreshed again from"):
        tracking.profile_sync_request(profile=profile, requested_by=None)
    Job.objects.filter(pk=first.pk).update(created_at=first.created_at - timedelta(minutes=16))
    assert tracking.profile_sync_request(profile=profile, requested_by=None).status == Job.Status.QUEUED


def test_the_demo_profile_is_never_synced(profile):
    InstagramProfile.objects.filter(pk=profile.pk).update(is_demo=True)
    profile.refresh_from_db()
    with pytest.raises(jobs.JobRefused, match="demo profile"):
        tracking.profile_sync_request(profile=profile, requested_by=None)
    assert sync.profile_sync_queue(profile=profile) is None
    assert not Job.objects.exists()
