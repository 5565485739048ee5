"""Faults against the real servers: a worker's child killed mid-task, Redis and PostgreSQL restarted, a full disk.

The workers here are real `celery worker` processes (prefork pool, one child: photosearch/tests/worker_main.py)
on the test database and the test Redis databases, so SIGKILL hits what production runs. The restarts are
of the embedded servers this checkout's tests use; an app running beside them sees the same restart, which
is what it is made to survive.
"""

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import psutil
import pytest
import redis
from django.conf import settings as django_settings
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import RequestFactory

from jobs.models import Job, JobPhoto
from jobs.runner import job_send_on_commit
from jobs.services import sync as sync_service
from jobs.tasks import run_import_job, run_sync_job, sweep_stalled_jobs
from photosearch import embedded
from photosearch.celery import app as celery_app
from profiles.models import InstagramProfile, InstagramSession, Photo, Post
from profiles.tests.factories import make_photo, make_post, make_profile, settled
from profiles.tests.fake_instagram import COOKIES, media
from profiles.tests.test_admin_import import zipped_folder
from search.indexing import photos_index_queue

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_process(settings, tmp_path):
    """Start `celery worker -Q QUEUE` in a process of its own; stopped (and its children) when the test ends."""
    started = []
    forget_queued()

    def start(queue: str, **env) -> subprocess.Popen:
        database = connection.settings_dict
        base = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
        process = subprocess.Popen(
            [sys.executable, "-m", "photosearch.tests.worker_main", queue],
            cwd=ROOT,
            env=base
            | {
                "DJANGO_SETTINGS_MODULE": "photosearch.settings_test",
                "DATABASE_URL": f"postgres://{database['USER']}@{quote(database['HOST'], safe='')}/{database['NAME']}",
                "MEDIA_ROOT": str(settings.MEDIA_ROOT),
                "INSTAGRAM_PAUSE_BETWEEN_REQUESTS": "0",
            }
            | env,
            stdout=open(tmp_path / f"worker-{queue}.log", "wb"),  # noqa: SIM115 (closed with the process)
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        for child in psutil.Process(process.pid).children(recursive=True) if process.poll() is None else []:
            child.kill()
        process.kill()
        process.wait(10)
    forget_queued()


def forget_queued() -> None:
    """Drop every message of the test Redis database: queued, and held by workers killed here."""
    redis.Redis.from_url(django_settings.REDIS_URL).delete("scrape", "ml", "describe", "unacked", "unacked_index")


def pool_child(worker: subprocess.Popen, timeout: float = 15) -> psutil.Process:
    """The worker's pool child (the process that runs tasks), once it is there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if children := psutil.Process(worker.pid).children():
            return children[0]
        time.sleep(0.05)
    raise AssertionError("the worker started no pool child")


def wait_for(path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.05)


# --- A worker's child killed -------------------------------------------------------------------


def test_it_finishes_an_index_job_whose_worker_child_was_killed_mid_batch(worker_process, tiny_models, settings):
    post = make_post(profile=make_profile("sailor"))
    photos = [make_photo(post=post, position=n) for n in range(1, 6)]
    # Photo 3's file is a FIFO: the child that reads it blocks there, mid-batch, until the test has killed it.
    path = Path(photos[2].image.path)
    image = path.read_bytes()
    path.unlink()
    os.mkfifo(path)
    worker = worker_process(
        "ml",
        IMAGE_TEXT_MODEL=settings.IMAGE_TEXT_MODEL,
        DESCRIPTION_MODEL="",  # the tiny describer is the slow one: two roles are enough here
        TEXT_MODEL=settings.TEXT_MODEL,
        ML_DTYPE="fp32",
        HF_HUB_OFFLINE="1",
    )
    job = photos_index_queue(photo_ids=[p.pk for p in photos], profile=post.profile)  # one batch of 5
    writer = _open_when_read(path, timeout=20)  # the child is inside the batch, reading photo 3
    path.unlink()
    path.write_bytes(image)  # what the next delivery will read; the child still holds the FIFO
    pool_child(worker).send_signal(signal.SIGKILL)
    os.close(writer)
    assert not Photo.objects.filter(indexed_at__isnull=False).exists()  # the killed batch wrote nothing

    job = settled(job, timeout=30)
    assert (job.status, job.message, job.progress_done) == (Job.Status.DONE, "5 photos indexed.", 5)
    assert Photo.objects.count() == Photo.objects.filter(indexed_at__isnull=False).count() == 5
    assert JobPhoto.objects.filter(job=job, counted=True).count() == 5
    assert Photo.objects.filter(text_embedding__isnull=False, image_embedding__isnull=False).count() == 5


def _open_when_read(fifo: Path, timeout: float) -> int:
    """Open the FIFO for writing as soon as a reader has it open (ENXIO until then); the reader then blocks."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            assert exc.errno == errno.ENXIO and time.monotonic() < deadline, "no worker read the photo"
            time.sleep(0.02)


def sync_through(worker_process, tmp_path, *, posts: int, hold: str) -> tuple[Job, dict[str, Path]]:
    """A sync of a fake profile of `posts` posts on a real scrape worker, held in the download of `hold`."""
    InstagramSession.objects.create(username="photosearch_bot", cookies=COOKIES)
    files = {"held": tmp_path / "held", "release": tmp_path / "release"}
    spec = {"posts": posts, "hold": hold} | {name: str(path) for name, path in files.items()}
    worker_process("scrape", FAKE_INSTAGRAM=json.dumps(spec))
    job = sync_service.profile_sync_queue(profile=make_profile("natgeotravel"))  # sent at once: no transaction
    return job, files


def test_a_sync_whose_worker_child_was_killed_resumes_where_it_stopped(worker_process, tmp_path):
    job, files = sync_through(worker_process, tmp_path, posts=15, hold="C9post00012")
    wait_for(files["held"])  # the child is downloading the 13th post's image
    stored = Post.objects.count()
    psutil.Process(int(files["held"].read_text())).send_signal(signal.SIGKILL)

    job = settled(job, timeout=30)
    assert (job.status, job.message, job.requeues) == (Job.Status.DONE, "15 new posts.", 1)  # one death counted
    assert stored == 12
    assert (Post.objects.count(), Photo.objects.count()) == (15, 15)
    assert InstagramProfile.objects.get().sync_cursor is None


# --- Servers restarted ---------------------------------------------------------------------------


def test_a_sync_completes_once_redis_is_back_after_a_restart(worker_process, tmp_path):
    job, files = sync_through(worker_process, tmp_path, posts=5, hold="C9post00003")
    wait_for(files["held"])
    assert embedded.stop_redis(django_settings.DATA_DIR, names=(embedded.QUEUE_SERVER,))  # the broker
    files["release"].touch()  # the sync goes on, and queues its photos for indexing, while Redis is down
    time.sleep(1.5)
    embedded.redis_socket(django_settings.DATA_DIR)  # started again, from its append-only file

    job = settled(job, timeout=30)
    assert (job.status, job.message) == (Job.Status.DONE, "5 new posts.")
    index_job = Job.objects.get(kind=Job.Kind.INDEX)
    queued = redis.Redis.from_url(django_settings.REDIS_URL).llen("ml")
    assert (index_job.progress_total, queued) == (5, 1)  # its batch reached Redis once it was back


def test_a_sync_queued_while_redis_is_down_runs_once_it_is_back_without_an_admin(worker_process, settings, monkeypatch):
    settings.JOB_LOST_SECONDS = 1
    # Redis is given up on at once, not after the half minute a restart may take (the publish's and the results').
    monkeypatch.setitem(celery_app.conf, "task_publish_retry_policy", {"max_retries": 0})
    monkeypatch.setattr(celery_app.backend, "retry_policy", {"max_retries": 0, "interval_start": 0})
    InstagramSession.objects.create(username="photosearch_bot", cookies=COOKIES)
    assert embedded.stop_redis(django_settings.DATA_DIR, names=(embedded.QUEUE_SERVER,))  # the broker
    try:
        job = sync_service.profile_sync_queue(profile=make_profile("natgeotravel"))  # no error for the page
    finally:
        embedded.redis_socket(django_settings.DATA_DIR)
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    worker_process("scrape", FAKE_INSTAGRAM=json.dumps({"posts": 3}))
    time.sleep(1.1)  # past JOB_LOST_SECONDS

    assert sweep_stalled_jobs.apply().get()["resent"] == 1  # what beat runs every JOB_SWEEP_SECONDS
    job = settled(job, timeout=30)
    assert (job.status, job.message, job.requeues) == (Job.Status.DONE, "3 new posts.", 1)


def test_an_import_past_the_soft_time_limit_goes_on_in_a_new_task_and_ends(worker_process, settings):
    job = Job.objects.create(kind=Job.Kind.IMPORT, source_file="imports/natgeotravel.zip")
    # The zip is a FIFO at first: the task that opens it blocks there until its soft time limit (1 s).
    path = Path(settings.MEDIA_ROOT) / job.source_file.name
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    worker_process("scrape", CELERY_TASK_SOFT_TIME_LIMIT="1", CELERY_TASK_TIME_LIMIT="30")
    # The time limits travel in the message: the sender's (this process's), then the worker's for its retries.
    job_send_on_commit(run_import_job, (job.pk,), soft_time_limit=1, time_limit=30)
    deadline = time.monotonic() + 20
    while job.message != "Going on where it stopped.":
        assert time.monotonic() < deadline, f"the import never went on past its time limit: {job.status} {job.message}"
        time.sleep(0.05)
        job.refresh_from_db()
    path.unlink()
    path.write_bytes(zipped_folder().read())  # what the next task opens (one still blocked gives up in 1 s)

    while job.status not in (Job.Status.DONE, Job.Status.FAILED):
        assert time.monotonic() < deadline + 20, f"the import did not end: {job.status} {job.message}"
        time.sleep(0.05)
        job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    assert Post.objects.filter(profile__username="natgeotravel").exists()


def test_the_web_and_a_worker_answer_again_by_themselves_after_postgresql_restarts(worker_process):
    worker_process("scrape")
    assert sweep_stalled_jobs.delay().get(timeout=20) == {"requeued": 0, "failed": 0, "resent": 0, "lost": 0}
    assert healthz() == (200, b'{"database": true, "broker": true, "cache": true}')

    pgdata = Path(django_settings.DATA_DIR) / "postgres"
    postmaster = psutil.Process(int((pgdata / "postmaster.pid").read_text().split()[0]))
    pg_ctl = Path(postmaster.exe()).parent / "pg_ctl"
    subprocess.run(
        [pg_ctl, "-D", pgdata, "-l", pgdata / "log", "restart", "-m", "fast", "-w", "-t", "30"],
        user=postmaster.username() if os.geteuid() == 0 else None,  # pg_ctl refuses root, as the server does
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=60,
    )
    assert postmaster.pid != int((pgdata / "postmaster.pid").read_text().split()[0])

    # The first request after the restart: its connection was cut, the health check replaces it.
    assert healthz() == (200, b'{"database": true, "broker": true, "cache": true}')
    assert sweep_stalled_jobs.delay().get(timeout=20) == {"requeued": 0, "failed": 0, "resent": 0, "lost": 0}


def healthz() -> tuple[int, bytes]:
    """GET /healthz through Django's own WSGI handler, as gunicorn calls it (the test client skips the
    request-start connection checks)."""
    environ = RequestFactory()._base_environ(PATH_INFO="/healthz", REQUEST_METHOD="GET", SERVER_NAME="localhost")
    statuses = []
    body = b"".join(WSGIHandler()(environ, lambda status, headers: statuses.append(status)))
    return int(statuses[0].split()[0]), body


# --- The media disk full ---------------------------------------------------------------------------


class DiskFullStorage(FileSystemStorage):
    """The media storage on a disk that fills up while it writes one post's image (C7fullx0003)."""

    def _save(self, name, content):
        if "C7fullx0003" in name:
            content = _HalfThenFull(content)
        return super()._save(name, content)


class _HalfThenFull(File):
    def chunks(self, chunk_size=None):
        data = self.file.read()
        yield data[: len(data) // 2]  # written: the file is there, half of it
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_media_disk_fails_that_post_alone_with_a_sentence_and_leaves_nothing_half_written(
    fake_instagram, signed_in, settings, media_root
):
    settings.STORAGES = settings.STORAGES | {"default": {"BACKEND": f"{__name__}.DiskFullStorage"}}
    fake_instagram.add_profile(posts=[media(f"C7fullx{n:04d}", 1717000000 - n * 1000, f"Post {n}") for n in range(6)])
    job = sync_service.profile_sync_queue(profile=make_profile("natgeotravel"))
    run_sync_job.apply(args=[job.pk])

    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert job.message == (
        "5 new posts. 1 post not stored: C7fullx0003: its images could not be written to the media storage "
        "(No space left on device)."
    )
    assert sorted(Post.objects.values_list("shortcode", flat=True)) == [f"C7fullx{n:04d}" for n in (0, 1, 2, 4, 5)]
    assert Photo.objects.count() == 5
    assert not list(Path(media_root).rglob("C7fullx0003*"))  # the half-written file is gone
