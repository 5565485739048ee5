"""The ml and describe queues end to end: a real Celery worker, through Redis, on committed rows."""

import json
from base64 import b64decode

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_prerun
from django.core.files.base import ContentFile

from jobs.models import Job
from photosearch.celery import app as celery_app
from profiles.models import Photo
from profiles.tests.factories import described, make_photo, make_post, make_profile, settled
from search.indexing import photos_describe_queue, photos_index_queue, photos_index_searchable
from search.tasks import describe_photos, index_photos


@pytest.fixture
def profile_photos(transactional_db):
    post = make_post(profile=make_profile("sailor"))
    return [make_photo(post=post, position=position) for position in range(1, 6)]


@pytest.fixture
def describe_queue(settings):
    """The photo ids of each second-pass batch waiting in the describe queue (no worker takes them here)."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("ml", "describe")

    def batches():
        return [
            json.loads(b64decode(json.loads(raw)["body"]))[0][0] for raw in reversed(client.lrange("describe", 0, -1))
        ]

    yield batches
    client.delete("ml", "describe")


def queued(photos) -> Job:
    """An index job for the photos, its batches sent to the real worker (they go on commit: these tests commit)."""
    return photos_index_queue(photo_ids=[p.pk for p in photos], profile=photos[0].post.profile)


def test_an_index_job_runs_through_its_batches_on_a_real_worker_then_its_photos_are_described(
    celery_worker, profile_photos, settings
):
    settings.INDEX_BATCH_SIZE = 2
    job = settled(queued(profile_photos))
    assert (job.status, job.progress_done, job.progress_total) == (Job.Status.DONE, 5, 5)
    assert job.message == "5 photos indexed."
    assert Photo.objects.filter(indexed_at__isnull=False).count() == 5
    described()
    assert set(Photo.objects.values_list("description_model", "describe_queued_at")) == {
        (settings.DESCRIPTION_MODEL, None)
    }


def test_a_job_with_a_corrupt_image_finishes_with_that_photo_failed(celery_worker, profile_photos):
    profile_photos[2].image.save("bad.jpg", ContentFile(b"GIF89a truncated", name="bad.jpg"))
    job = settled(queued(profile_photos))
    assert job.status == Job.Status.DONE
    assert job.message == "4 photos indexed, 1 could not be read."
    assert list(Photo.objects.exclude(index_error="").values_list("pk", flat=True)) == [profile_photos[2].pk]


def test_a_missing_model_ends_the_job_with_a_message_naming_it_and_the_fix(celery_worker, profile_photos, settings):
    settings.IMAGE_TEXT_MODEL = "google/not-downloaded-here"
    job = settled(queued(profile_photos))
    assert job.status == Job.Status.FAILED
    assert "'google/not-downloaded-here'" in job.message
    assert "python manage.py download_models" in job.message
    assert job.waits_for_models  # pages say "waiting for the models", not "Failed"
    assert not Photo.objects.filter(indexed_at__isnull=False).exists()


def test_a_missing_describer_leaves_the_photos_searchable_and_no_longer_queued(
    transactional_db, profile_photos, settings, describe_queue, offline_hub
):
    settings.DESCRIPTION_MODEL = "Salesforce/not-downloaded-here"
    job = queued(profile_photos)
    assert index_photos.apply(args=[job.pk, [p.pk for p in profile_photos]]).get()["indexed"] == 5
    assert Job.objects.get(pk=job.pk).status == Job.Status.DONE
    [batch] = describe_queue()
    assert "'Salesforce/not-downloaded-here'" in describe_photos.apply(args=[batch]).get()["error"]
    assert set(Photo.objects.values_list("description_model", "describe_queued_at")) == {("", None)}


def test_the_first_pass_batch_queues_the_second_for_its_photos_once(
    transactional_db, profile_photos, settings, describe_queue
):
    ids = [p.pk for p in profile_photos]
    job = queued(profile_photos)
    assert index_photos.apply(args=[job.pk, ids]).get()["describe_queued"] == 5
    assert index_photos.apply(args=[job.pk, ids]).get()["describe_queued"] == 0  # delivered twice: queued once
    assert describe_queue() == [ids]
    assert Photo.objects.filter(describe_queued_at__isnull=False).count() == 5


def test_with_the_describer_and_the_reader_off_no_second_pass_is_queued(
    transactional_db, profile_photos, settings, describe_queue
):
    settings.DESCRIPTION_MODEL = settings.OCR_ENGINE = ""
    job = queued(profile_photos)
    assert index_photos.apply(args=[job.pk, [p.pk for p in profile_photos]]).get()["describe_queued"] == 0
    assert describe_queue() == []
    assert not Photo.objects.filter(describe_queued_at__isnull=False).exists()


def test_running_a_second_pass_batch_twice_describes_once(transactional_db, profile_photos, describe_queue):
    ids = [p.pk for p in profile_photos]
    photos_index_searchable(photo_ids=ids)
    photos_describe_queue(photos=Photo.objects.all())
    assert describe_photos.apply(args=[ids]).get()["described"] == 5
    assert describe_photos.apply(args=[ids]).get() | {"worker": None} == {
        "described": 0,
        "failed": 0,
        "skipped": 5,
        "worker": None,
    }
    assert not Photo.objects.filter(describe_queued_at__isnull=False).exists()


def test_a_second_pass_batch_matches_its_photos_against_saved_searches_again(
    transactional_db, profile_photos, describe_queue, settings
):
    ids = [p.pk for p in profile_photos]
    photos_index_searchable(photo_ids=ids)
    describe_photos.apply(args=[ids])
    ml = [json.loads(raw) for raw in redis.Redis.from_url(settings.REDIS_URL).lrange("ml", 0, -1)]
    notified = [
        json.loads(b64decode(m["body"]))[0] for m in ml if m["headers"]["task"].endswith("notify_saved_searches")
    ]
    assert notified == [[ids]]  # a description may match what the post's words did not


def test_a_worker_on_both_queues_takes_first_pass_work_before_second_pass_work(transactional_db, settings):
    """Second passes queued first, then an index job: the worker runs every first pass before any second."""
    settings.INDEX_BATCH_SIZE = 2
    post = make_post(profile=make_profile("sailor"))
    searchable = [make_photo(post=post, position=n) for n in range(1, 5)]
    photos_index_searchable(photo_ids=[p.pk for p in searchable])
    celery_app.control.purge()
    redis.Redis.from_url(settings.REDIS_URL).delete("ml", "describe")
    photos_describe_queue(photos=Photo.objects.all())  # two batches waiting in the describe queue
    new = [make_photo(post=post, position=n) for n in range(5, 11)]
    job = queued(new)  # three first-pass batches, queued after them
    ran = []
    record = lambda sender, **kwargs: ran.append(sender.name.rsplit(".", 1)[1])  # noqa: E731
    task_prerun.connect(record, weak=False)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, queues=["ml", "describe"]):
            assert settled(job).status == Job.Status.DONE
            described()
    finally:
        task_prerun.disconnect(record)
    first_passes = [n for n, name in enumerate(ran) if name == "index_photos"]
    second_passes = [n for n, name in enumerate(ran) if name == "describe_photos"]
    assert len(first_passes) == 3 and len(second_passes) == 2 + 3
    assert max(first_passes) < min(second_passes), ran


def test_a_cancelled_job_leaves_its_photos_alone(transactional_db, profile_photos):
    job = Job.objects.create(kind=Job.Kind.INDEX)
    job.cancel()
    assert index_photos.apply(args=[job.pk, [p.pk for p in profile_photos]]).get() is None
    assert not Photo.objects.filter(indexed_at__isnull=False).exists()
    assert Job.objects.get(pk=job.pk).status == Job.Status.CANCELLED


def test_running_a_batch_twice_does_the_work_once_and_counts_it_once(
    transactional_db, profile_photos, settings, describe_queue
):
    ids = [p.pk for p in profile_photos]
    job = queued(profile_photos)
    redis.Redis.from_url(settings.REDIS_URL).delete("ml")  # no worker here: the test delivers the batches itself
    assert index_photos.apply(args=[job.pk, ids[:2]]).get()["indexed"] == 2
    assert index_photos.apply(args=[job.pk, ids[:2]]).get() | {"worker": None} == {
        "indexed": 0,
        "failed": 0,
        "skipped": 2,
        "describe_queued": 0,
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
