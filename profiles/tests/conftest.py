import json
import threading
from base64 import b64decode

import pytest
import redis
import requests
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings

from photosearch.celery import app as celery_app
from profiles import instagram
from profiles.models import InstagramSession
from profiles.tests.fake_instagram import COOKIES, FakeInstagram


@pytest.fixture
def fake_instagram(monkeypatch, settings):
    """Instagram, faked where requests meets the network; instaloader and our adapter run for real."""
    fake = FakeInstagram()
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", lambda adapter, request, **kw: fake.send(request))
    settings.INSTAGRAM_PAUSE_BETWEEN_REQUESTS = False
    instagram.loader_reset()
    yield fake
    instagram.loader_reset()


@pytest.fixture
def signed_in(db):
    """A stored Instagram session: instaloader goes through the signed-in paths."""
    return InstagramSession.objects.create(username="photosearch_bot", cookies=COOKIES)


@pytest.fixture
def ml_queue():
    """What waits in the `ml` queue (the indexer's, not run here): (task name, args) of each message."""
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    client.delete("ml")

    def messages():
        found = []
        for raw in reversed(client.lrange("ml", 0, -1)):  # kombu pushes on the left
            message = json.loads(raw)
            args = json.loads(b64decode(message["body"]))[0]
            found.append((message["headers"]["task"], args))
        return found

    yield messages
    client.delete("ml", "describe")


@pytest.fixture
def scrape_worker(transactional_db):
    """A real Celery worker on the `scrape` queue only: the photos a sync hands to the indexer (the
    `ml` queue) wait there unrun, and are dropped when the test ends."""
    celery_app.control.purge()
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, queues=["scrape"], hostname="scrape-tests@photosearch"
    ) as worker:
        yield worker
    client.delete("ml", "describe")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.org", "a-long-admin-passphrase-42")


@pytest.fixture
def paused_download(fake_instagram):
    """Holds a worker inside the download of one image until the test lets it go: a job caught mid-way."""
    reached, release = threading.Event(), threading.Event()

    def pause(code: str, slide: int = 1):
        def hold():
            reached.set()
            assert release.wait(30), "the test never let the worker go on"

        fake_instagram.on_download[fake_instagram.image_path(code, slide)] = hold
        return reached, release

    yield pause
    release.set()  # never leave a worker thread hanging
