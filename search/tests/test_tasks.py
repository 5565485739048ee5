"""The ml queue end to end: a real Celery worker, through Redis, on committed rows."""

import pytest
import redis
from django.core.files.base import ContentFile

from profiles.models import Job, Photo
from profiles.tests.factories import make_photo, make_post, make_profile, settled
from search.indexing import photos_index_queue
from search.tasks import index_photos


@pytest.fixture
def profile_photos(transactional_db):
    post = make_post(profile=make_profile("sailor"))
    return [make_photo(post=post, position=position) for position in range(1, 6)]


def queued(photos) -> Job:
    """An index job for the photos, its batches sent to the real worker (they go on commit: these tests commit)."""
    return photos_index_queue(photo_ids=[p.pk for p in photos], profile=photos[0].post.profile)


def test_an_index_job_runs_through_its_batches_on_a_real_worker(celery_worker, profile_photos, settings):
    settings.INDEX_BATCH_SIZE = 2
    job = settled(queued(profile_photos))
    assert (job.status, job.progress_done, job.progress_total) == (Job.Status.DONE, 5, 5)
    assert job.message == "5 photos indexed."
    assert Photo.objects.filter(indexed_at__isnull=False).count() == 5


def test_a_job_with_a_corrupt_image_finishes_with_that_photo_failed(celery_worker, profile_photos):
    profile_photos[2].image.save("bad.jpg", ContentFile(b"GIF89a truncated", name="bad.jpg"))
    job = settled(queued(profile_photos))
    assert job.status == Job.Status.DONE
    assert job.message == "4 photos indexed, 1 could not be read."
    assert list(Photo.objects.exclude(index_error="").values_list("pk", flat=True)) == [profile_photos[2].pk]


def test_a_missing_model_ends_the_job_with_a_message_naming_it_and_the_fix(celery_worker, profile_photos, settings):
    settings.DESCRIPTION_MODEL = "Salesforce/not-downloaded-here"
    job = settled(queued(profile_photos))
    assert job.status == Job.Status.FAILED
    assert "'Salesforce/not-downloaded-here'" in job.message
    assert "python manage.py download_models" in job.message
    assert not Photo.objects.filter(indexed_at__isnull=False).exists()


def test_a_cancelled_job_leaves_its_photos_alone(transactional_db, profile_photos):
    job = Job.objects.create(kind=Job.Kind.INDEX)
    job.cancel()
    assert index_photos.apply(args=[job.pk, [p.pk for p in profile_photos]]).get() is None
    assert not Photo.objects.filter(indexed_at__isnull=False).exists()
    assert Job.objects.get(pk=job.pk).status == Job.Status.CANCELLED


def test_running_a_batch_twice_does_the_work_once_and_counts_it_once(transactional_db, profile_photos, settings):
    ids = [p.pk for p in profile_photos]
    job = queued(profile_photos)
    redis.Redis.from_url(settings.REDIS_URL).delete("ml")  # no worker here: the test delivers the batches itself
    assert index_photos.apply(args=[job.pk, ids[:2]]).get()["indexed"] == 2
    assert index_photos.apply(args=[job.pk, ids[:2]]).get() | {"worker": None} == {
        "indexed": 0,
        "failed": 0,
        "skipped": 2,
        "worker": None,
    }
    job.refresh_from_db()
    assert (job.status, job.progress_done) == (Job.Status.RUNNING, 2)  # not 4 of 5: the second delivery counts nothing
    index_photos.apply(args=[job.pk, ids[2:]])
    job.refresh_from_db()
    assert (job.status, job.message, job.progress_done) == (Job.Status.DONE, "5 photos indexed.", 5)


def test_an_unexpected_error_fails_the_job_with_a_sentence_and_keeps_the_traceback_for_staff(
    transactional_db, profile_photos
):
    job = Job.objects.create(kind=Job.Kind.INDEX, progress_total=1)
    with pytest.raises(ValueError):
        index_photos.apply(args=[job.pk, ["not an id"]], throw=True)
    job.refresh_from_db()
    assert (job.status, job.message) == (
        Job.Status.FAILED,
        "Indexing failed unexpectedly; an admin can see why and retry.",
    )
    assert "Traceback" in job.error
