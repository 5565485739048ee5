"""Scaling out: two ml workers, named as on two machines, share one queue, one database and one bucket."""

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from celery.result import AsyncResult
from celery.signals import after_task_publish
from django.db import connection

from conftest import forget_queued
from jobs.models import Job
from photosearch.celery import app as celery_app
from profiles.models import Photo
from profiles.tests.factories import make_photo, make_post, make_profile, settled
from search.indexing import photos_index_queue

POSTS, SLIDES, BATCH = 16, 5, 10  # 80 photos, 8 batches: enough for both workers to take some
ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database, as a URL another process can use (the embedded server's socket folder as host)."""
    db = connection.settings_dict
    host = quote(db["HOST"], safe="") + (f":{db['PORT']}" if db["PORT"] else "")
    return f"postgres://{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}@{host}/{db['NAME']}"


@pytest.fixture
def two_ml_workers(transactional_db, settings, tiny_models, media_storage_url, tmp_path):
    """Two real `celery worker` processes on the `ml` queue only (the first pass, which the job counts),
    named as two machines would name them.

    Each one reads what a second machine would be given: the database, Redis and the bucket by
    their URLs, the models from its own folder (here the tiny ones).
    """
    celery_app.control.purge()
    environment = os.environ | {
        "DJANGO_SETTINGS_MODULE": "photosearch.settings_test",
        "DATABASE_URL": database_url(),
        "MEDIA_STORAGE_URL": media_storage_url,
        "IMAGE_TEXT_MODEL": settings.IMAGE_TEXT_MODEL,
        "DESCRIPTION_MODEL": settings.DESCRIPTION_MODEL,
        "TEXT_MODEL": settings.TEXT_MODEL,
        "INDEX_BATCH_SIZE": str(BATCH),
        "ML_DTYPE": "fp32",
        "ML_THREADS": "1",
        "DESCRIPTION_MAX_TOKENS": "5",
        "HF_HUB_OFFLINE": "1",
    }
    hostnames = ["ml@machine-a", "ml@machine-b"]
    log = (tmp_path / "workers.log").open("w")  # shown by the test when the workers do not answer
    command = [sys.executable, "-m", "celery", "--quiet", "--app", "photosearch", "worker", "--queues", "ml", "--pool"]
    command += ["solo", "--without-mingle", "--without-gossip", "--without-heartbeat", "--loglevel", "WARNING"]
    workers = [
        subprocess.Popen(
            [*command, "--hostname", name], cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        for name in hostnames
    ]
    try:
        yield hostnames  # starting: the test makes its photos meanwhile
    finally:
        for worker in workers:
            worker.terminate()  # a warm shutdown: a last acknowledgement goes out at once
        for worker in workers:
            try:
                worker.wait(timeout=2)
            except subprocess.TimeoutExpired:
                worker.kill()  # idle by now; its interpreter's exit is slow (seconds), and nothing is left to do
                worker.wait()
        log.close()
        forget_queued()  # the second passes the batches queued: not this test's subject


@pytest.fixture
def sent_batches():
    """The id and photo ids of each index batch this process sends to the queue."""
    sent = []

    def record(sender, headers, body, **kwargs):
        if sender == "search.tasks.index_photos":
            sent.append((headers["id"], body[0][1]))

    after_task_publish.connect(record, weak=False)
    yield sent
    after_task_publish.disconnect(record)


def test_two_ml_workers_index_each_photo_of_the_bucket_once_and_both_take_batches(
    media_bucket, two_ml_workers, sent_batches, bucket_keys, settings, tmp_path
):
    settings.INDEX_BATCH_SIZE = BATCH
    profile = make_profile("sailor")
    posts = [make_post(profile=profile, shortcode=f"P{number:03}") for number in range(POSTS)]
    photos = [make_photo(post=post, position=slide) for post in posts for slide in range(1, SLIDES + 1)]
    assert len(bucket_keys("photos/")) == len(photos)  # the originals live in the bucket, where both workers read

    deadline = time.monotonic() + 60
    while len(celery_app.control.ping(destination=two_ml_workers, timeout=0.5)) < len(two_ml_workers):
        assert time.monotonic() < deadline, "no answer in 60 s:\n" + (tmp_path / "workers.log").read_text()[-3000:]

    started = time.monotonic()
    job = settled(photos_index_queue(photo_ids=[p.pk for p in photos], profile=profile), timeout=120)
    seconds = time.monotonic() - started

    # Each batch's result, as the worker that ran it stored it in the result backend.
    indexed_by, times_indexed = Counter(), Counter()
    for task_id, photo_ids in sent_batches:
        result = AsyncResult(task_id, app=celery_app).get(timeout=30)
        assert (result["indexed"], result["failed"], result["skipped"]) == (len(photo_ids), 0, 0)
        indexed_by[result["worker"]] += len(photo_ids)
        times_indexed.update(photo_ids)
    duplicates = sum(count - 1 for count in times_indexed.values())
    print(f"\nscale-out: {len(photos)} photos in {len(sent_batches)} batches, {seconds:.1f} s; indexed per worker "
          f"{dict(sorted(indexed_by.items()))}; duplicates: {duplicates}")  # fmt: skip
    assert (job.status, job.progress_done) == (Job.Status.DONE, len(photos))
    assert set(times_indexed) == {p.pk for p in photos} and duplicates == 0
    assert set(indexed_by) == set(two_ml_workers)
    assert Photo.objects.filter(indexed_at__isnull=False).count() == len(photos)
    assert len(bucket_keys("thumbnails/")) == len(photos)
