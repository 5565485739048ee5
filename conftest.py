"""Fixtures shared by every test: real PostgreSQL, Redis, Celery workers and Chromium."""

import logging
import os
import uuid
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker

from photosearch.celery import app as celery_app

# Every test account's password: long and unusual enough for Django's validators.
PASSWORD = "a-long-and-unusual-passphrase-42"


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto` (pyproject.toml): a process per core, up to 4, each with its own embedded servers (settings_test.py).

    One only where DATABASE_URL or REDIS_URL names a shared server: its queues would be every process's.
    """
    if os.environ.get("DATABASE_URL") or os.environ.get("REDIS_URL"):
        return 1
    return max(1, min(4, len(os.sched_getaffinity(0))))


def pytest_sessionfinish(session) -> None:
    """A test process other than the first stops the embedded servers it started (the first shares the app's)."""
    if os.environ.get("PYTEST_XDIST_WORKER", "gw0") == "gw0" or os.environ.get("DATABASE_URL"):
        return
    from django.conf import settings

    from photosearch import embedded

    embedded.stop_redis(settings.DATA_DIR)
    embedded.stop_postgres(settings.DATA_DIR)


@pytest.fixture
def user(django_user_model):
    """Ada, an ordinary account (signed out; `signed_in_client` and `signed_in_page` sign her in)."""
    return django_user_model.objects.create_user("ada", "ada@example.org", PASSWORD)


@pytest.fixture
def signed_in_client(client, user):
    """Django's test client, signed in as `user`."""
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test writes its files in a folder of its own, removed with it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def empty_cache():
    """Cached query vectors, floors and word counts belong to one test's data, not the next one's."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def site_language():
    """Each test starts in the site's language: a French page leaves French active in its thread (LocaleMiddleware
    activates the request's language, nothing deactivates it), which later code run in-process would read."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-compatible server (moto's server mode), on a free port of this machine: its base URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _s3_client(endpoint_url: str):
    import boto3

    return boto3.client(
        "s3", endpoint_url=endpoint_url, region_name="us-east-1", aws_access_key_id="photosearch",
        aws_secret_access_key="secret",
    )  # fmt: skip


@pytest.fixture
def media_storage_url(s3_server):
    """A fresh bucket of the S3 server, as MEDIA_STORAGE_URL names it in production (objects under site/)."""
    bucket = "media-" + uuid.uuid4().hex[:12]
    _s3_client(s3_server).create_bucket(Bucket=bucket)
    return f"s3://photosearch:secret@{bucket}/site?endpoint_url={s3_server}&region=us-east-1"


@pytest.fixture
def media_bucket(settings, media_storage_url):
    """Media in that bucket, configured through MEDIA_STORAGE_URL as in production: the bucket's name."""
    from photosearch.storage import media_storage

    settings.STORAGES = settings.STORAGES | {"default": media_storage({"MEDIA_STORAGE_URL": media_storage_url})}
    return settings.STORAGES["default"]["OPTIONS"]["bucket_name"]


@pytest.fixture
def bucket_keys(media_bucket, s3_server):
    """The names of the objects in the media bucket, read straight from the S3 server."""
    client = _s3_client(s3_server)

    def keys(prefix: str = "") -> list[str]:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=media_bucket, Prefix=f"site/{prefix}")
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    return keys


def forget_queued() -> None:
    """Drop what waits in every queue: Celery's purge knows only the queues this process has used."""
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.REDIS_URL).delete("scrape", "ml", "describe")


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker, in a thread of this process, consuming every queue through Redis (the ml
    queue before the describe queue, as the ml worker does).

    It sees only committed rows, hence the transactional database.
    """
    celery_app.control.purge()  # messages left behind by an interrupted earlier run
    forget_queued()
    with start_worker(
        celery_app,
        pool="solo",
        perform_ping_check=False,
        queues=["scrape", "ml", "describe"],
        hostname="tests@photosearch",
    ) as worker:
        yield worker


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """Tiny random models of each role, built from configs (search/tests/tiny_models.py): no download."""
    from django.conf import settings

    from search.tests.tiny_models import build_blip, build_clip, build_text_embedder

    folder = tmp_path_factory.mktemp("models")
    build_clip(folder / "clip", dimensions=settings.IMAGE_TEXT_DIMENSIONS)
    build_clip(folder / "clip-other", dimensions=settings.IMAGE_TEXT_DIMENSIONS, seed=1)
    build_blip(folder / "blip")
    build_text_embedder(folder / "text", dimensions=settings.TEXT_DIMENSIONS)
    return folder


@pytest.fixture
def tiny_models(settings, tiny_model_dir, monkeypatch):
    """The configured models are the tiny ones, offline; the folder they are in."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings.IMAGE_TEXT_MODEL = str(tiny_model_dir / "clip")
    settings.DESCRIPTION_MODEL = str(tiny_model_dir / "blip")
    settings.TEXT_MODEL = str(tiny_model_dir / "text")
    # The reader is real and small, but reading every test photo costs time: tests that read turn it on.
    settings.OCR_ENGINE = ""
    settings.ML_DTYPE = "fp32"
    # Their int8 query encoders are exported once a run, beside them (never into the data folder).
    settings.QUERY_ENCODERS_DIR = tiny_model_dir / "query-encoders"
    # Loaded models are kept for the next tests (the registry is keyed by role and model): loading
    # them again for each test was a fifth of the suite's time. A test about loading forgets them first.
    return tiny_model_dir


@pytest.fixture
def offline_hub(tmp_path, monkeypatch):
    """No Hugging Face hub, and an empty cache of its models: a model id names a model not on this machine."""
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "huggingface" / "hub"))
    return tmp_path / "huggingface" / "hub"


@pytest.fixture(scope="session")
def chromium_path():
    path = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
    if not path.exists():
        pytest.fail(f"No Chromium at {path}: `make test` installs Debian's (apt-get install chromium).")
    return path


@pytest.fixture(scope="module")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread while it is open; the ORM
    # calls the tests make meanwhile are plain synchronous ones, which Django cannot tell on its
    # own. Module scope: the loop and this switch end with the browser tests' module.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path),
            headless=True,
            # The closed network refuses Chromium's background connections; these keep it quiet.
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser
        browser.close()


def log_in(page, username: str, password: str, *, at: str = "/accounts/login/") -> None:
    """Sign in through the login form (ours, or the admin's with at="/admin/login/"), as a person would."""
    page.goto(at)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login/" not in url)


@pytest.fixture
def page(browser, live_server, transactional_db):
    # transactional_db first: the page closes (its polling and lazy images stop) before the tables are
    # flushed, or the flush can deadlock with a request still in flight.
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def signed_in_page(page, user):
    """A Chromium page signed in as `user`, through the login form."""
    if not user.has_usable_password():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    log_in(page, user.get_username(), PASSWORD)
    return page
