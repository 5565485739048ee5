"""The sweep that indexes photos left behind, once the configured models are on this machine."""

from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from jobs.models import Job
from photosearch.celery import app as celery_app
from profiles.models import Photo
from profiles.tests.factories import make_photo, make_post, make_profile, settled
from search.indexing import (
    photos_describe_queue,
    photos_describe_stale,
    photos_index,
    photos_index_queue,
    photos_index_searchable,
    photos_index_stale,
)
from search.tasks import index_photos, index_stale_photos

MISSING = "google/not-downloaded-here"  # as IMAGE_TEXT_MODEL: a model the first pass needs


def photos_of(username, count=2):
    post = make_post(profile=make_profile(username), shortcode=f"{username}-post")
    return [make_photo(post=post, position=position) for position in range(1, count + 1)]


@pytest.fixture
def stale(db):
    """Photos of two profiles that no model has indexed yet."""
    return {"sailor": photos_of("sailor", 3), "baker": photos_of("baker", 2)}


def test_it_queues_the_stale_photos_one_job_per_profile(stale):
    jobs = photos_index_stale()
    assert sorted((job.profile.username, job.progress_total) for job in jobs) == [("baker", 2), ("sailor", 3)]
    assert all(job.kind == Job.Kind.INDEX and job.status == Job.Status.QUEUED for job in jobs)


def test_it_queues_nothing_while_a_model_is_missing(stale, settings, offline_hub):
    settings.IMAGE_TEXT_MODEL = MISSING
    assert photos_index_stale() == []
    assert not Job.objects.exists()


def test_a_missing_describer_does_not_hold_up_the_first_pass(stale, settings, offline_hub):
    settings.DESCRIPTION_MODEL = "Salesforce/not-downloaded-here"
    assert len(photos_index_stale()) == 2


def test_a_second_run_while_the_jobs_are_active_queues_nothing(stale):
    photos_index_stale()
    assert photos_index_stale() == []
    assert Job.objects.count() == 2


def test_it_skips_photos_that_failed_for_good(stale):
    Photo.objects.filter(post__profile__username="baker").update(index_error="image file unreadable")
    [job] = photos_index_stale()
    assert job.profile.username == "sailor"


def test_it_leaves_indexed_photos_alone(stale):
    photos_index(photo_ids=list(Photo.objects.values_list("pk", flat=True)))
    assert photos_index_stale() == []
    assert photos_describe_stale() == 0


def test_a_searchable_photo_waiting_for_its_description_is_not_stale_for_the_first_pass(stale):
    photos_index_searchable(photo_ids=list(Photo.objects.values_list("pk", flat=True)))
    photos_describe_queue(photos=Photo.objects.all())
    assert photos_index_stale() == []


@pytest.fixture
def waiting(stale, settings):
    """Every photo searchable, its second pass queued (an empty describe queue: its task was lost, or done)."""
    redis.Redis.from_url(settings.REDIS_URL).delete("describe")
    photos_index_searchable(photo_ids=list(Photo.objects.values_list("pk", flat=True)))
    photos_describe_queue(photos=Photo.objects.all())
    redis.Redis.from_url(settings.REDIS_URL).delete("describe")
    yield
    redis.Redis.from_url(settings.REDIS_URL).delete("describe")


def queued_long_ago(settings, **filters):
    Photo.objects.filter(**filters).update(
        describe_queued_at=timezone.now() - timedelta(seconds=settings.JOB_STALLED_SECONDS + 1)
    )


def test_the_sweep_queues_again_a_second_pass_that_was_lost(waiting, settings, django_capture_on_commit_callbacks):
    assert photos_describe_stale() == 0  # queued a moment ago: it may be running
    queued_long_ago(settings)
    with django_capture_on_commit_callbacks(execute=True):
        assert photos_describe_stale() == 5
    assert redis.Redis.from_url(settings.REDIS_URL).llen("describe") == 1  # one batch of 5
    assert photos_describe_stale() == 0  # queued again just now


def test_behind_a_backlog_the_sweep_sends_nothing_twice(waiting, settings):
    queued_long_ago(settings)
    redis.Redis.from_url(settings.REDIS_URL).lpush("describe", "{}")  # a batch still waits: no task lost yet
    assert photos_describe_stale() == 0


def test_photos_never_queued_for_their_description_are_queued_at_once(waiting, settings):
    Photo.objects.filter(post__profile__username="baker").update(describe_queued_at=None)  # a new describer, say
    redis.Redis.from_url(settings.REDIS_URL).lpush("describe", "{}")
    assert photos_describe_stale() == 2


def test_no_second_pass_is_queued_while_the_describer_is_missing(waiting, settings, offline_hub):
    Photo.objects.update(describe_queued_at=None)
    settings.DESCRIPTION_MODEL = "Salesforce/not-downloaded-here"
    assert photos_describe_stale() == 0


def test_with_the_describer_and_the_reader_off_there_is_no_second_pass_to_sweep(waiting, settings):
    queued_long_ago(settings)
    settings.DESCRIPTION_MODEL = settings.OCR_ENGINE = ""
    assert photos_describe_stale() == 0


def test_a_reindex_of_every_photo_under_way_has_them_all(stale):
    Job.objects.create(kind=Job.Kind.INDEX, profile=None, status=Job.Status.RUNNING)
    assert photos_index_stale() == []


def test_a_new_vector_size_waits_for_reindex(stale, settings):
    settings.TEXT_DIMENSIONS = 32  # the column holds 384: only `manage.py reindex` remakes it
    assert photos_index_stale() == []


def test_a_profile_being_synced_is_left_to_its_sync(stale):
    Job.objects.create(kind=Job.Kind.SYNC, profile=stale["sailor"][0].post.profile, status=Job.Status.RUNNING)
    assert [job.profile.username for job in photos_index_stale()] == ["baker"]


def test_a_profile_whose_last_index_job_broke_is_left_to_a_person(stale):
    profile = stale["sailor"][0].post.profile
    Job.objects.create(kind=Job.Kind.INDEX, profile=profile, status=Job.Status.FAILED, error="Traceback ...")
    assert [job.profile.username for job in photos_index_stale()] == ["baker"]


def test_a_profile_whose_last_index_job_was_cancelled_stays_stopped(stale):
    profile = stale["sailor"][0].post.profile
    Job.objects.create(kind=Job.Kind.INDEX, profile=profile, status=Job.Status.CANCELLED)
    assert [job.profile.username for job in photos_index_stale()] == ["baker"]


def test_a_job_that_found_no_model_does_not_stop_the_sweep(stale, offline_hub):
    profile = stale["sailor"][0].post.profile
    Job.objects.create(kind=Job.Kind.INDEX, profile=profile, status=Job.Status.FAILED, message="no model")
    assert sorted(job.profile.username for job in photos_index_stale()) == ["baker", "sailor"]


def test_beat_runs_the_sweep_on_the_ml_queue_as_often_as_the_setting_says(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["index-stale-photos"]
    assert entry["task"] == index_stale_photos.name == "search.tasks.index_stale_photos"
    assert entry["schedule"] == settings.INDEX_SWEEP_SECONDS == 60
    assert celery_app.amqp.router.route({}, entry["task"])["queue"].name == "ml"


def test_photos_whose_job_failed_for_a_missing_model_are_indexed_once_it_is_here(
    transactional_db, settings, tiny_models, offline_hub, celery_worker
):
    photos = photos_of("sailor", 3)
    settings.IMAGE_TEXT_MODEL = MISSING
    failed = settled(photos_index_queue(photo_ids=[p.pk for p in photos], profile=photos[0].post.profile))
    assert failed.status == Job.Status.FAILED
    assert index_stale_photos.delay().get(timeout=30) == {"index_jobs": 0, "describe_queued": 0}  # still missing

    settings.IMAGE_TEXT_MODEL = str(tiny_models / "clip")  # the model is here now
    assert index_stale_photos.delay().get(timeout=30)["index_jobs"] == 1
    job = settled(Job.objects.exclude(pk=failed.pk).get())
    assert (job.status, job.progress_done, job.message) == (Job.Status.DONE, 3, "3 photos indexed.")
    assert Photo.objects.filter(image_embedding_model=settings.IMAGE_TEXT_MODEL, indexed_at__isnull=False).count() == 3
    assert Job.objects.get(pk=failed.pk).status == Job.Status.FAILED  # kept as history


def test_a_batch_that_finds_no_model_leaves_its_photos_to_the_sweep(transactional_db, settings, offline_hub):
    photos = photos_of("sailor", 2)
    settings.IMAGE_TEXT_MODEL = MISSING
    job = Job.objects.create(kind=Job.Kind.INDEX, profile=photos[0].post.profile, progress_total=2)
    assert "error" in index_photos.apply(args=[job.pk, [p.pk for p in photos]]).get()
    assert set(Photo.objects.values_list("index_error", flat=True)) == {""}  # not "failed for good"


def test_a_model_here_that_does_not_load_is_left_to_a_person(transactional_db, settings, tmp_path):
    photos = photos_of("sailor", 2)
    settings.IMAGE_TEXT_MODEL = str(tmp_path)  # a folder, but no model in it
    job = Job.objects.create(kind=Job.Kind.INDEX, profile=photos[0].post.profile, progress_total=2)
    index_photos.apply(args=[job.pk, [p.pk for p in photos]])
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "Traceback" in job.error
    assert photos_index_stale() == []
