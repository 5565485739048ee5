"""Is each part of the app answering: the database, both Redis servers (the broker's and the cache's), the
media bucket, beat, and a worker on each Celery queue."""

import glob
import time
from pathlib import Path

import redis
from celery.exceptions import TimeoutError as CeleryTimeout
from django.conf import settings
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from kombu.exceptions import OperationalError

from photosearch.celery import ping

QUEUES = ("scrape", "ml", "describe")


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # any driver error means the same thing here: not answering
        return False


def broker_answers() -> bool:
    """Whether the queues' Redis answers (the broker: every task waits there)."""
    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2).ping())
    except Exception:  # any connection error means the same thing here: not answering
        return False


def cache_answers() -> bool:
    """Whether the cache's Redis answers (sessions, throttles, query vectors: a server of its own in production)."""
    try:
        cache.get("health-check")
        return True
    except Exception:
        return False


def beat_schedule_fresh() -> bool:
    """Whether beat wrote its schedule lately: it does after the periodic tasks it sends (every minute or so),
    at least every few minutes; a schedule untouched for BEAT_STALE_SECONDS means beat stopped sending them."""
    schedule = Path(settings.CELERY_BEAT_SCHEDULE_FILENAME)
    # shelve's files: the name itself, or with .db, .dat, .dir, as the dbm of the image's Python makes them.
    written = [path.stat().st_mtime for path in schedule.parent.glob(glob.escape(schedule.name) + "*")]
    return bool(written) and time.time() - max(written) < settings.BEAT_STALE_SECONDS


def media_bucket_answers() -> bool | None:
    """Whether the media bucket answers with our credentials; None when media are local files."""
    bucket_name = getattr(default_storage, "bucket_name", None)
    if not bucket_name:
        return None
    try:
        default_storage.connection.meta.client.head_bucket(Bucket=bucket_name)
        return True
    except Exception:  # botocore's errors (no such bucket, access denied, unreachable) mean the same here
        return False


def queue_workers(*, timeout: float = 5.0) -> dict[str, str | None]:
    """For each queue, the name of a worker that answered a ping sent through it, or None."""
    sent = {}
    try:
        for queue in QUEUES:
            # expires: a ping nobody takes is dropped rather than answered long after the question.
            sent[queue] = ping.apply_async(queue=queue, expires=timeout)
    except OperationalError:
        return dict.fromkeys(QUEUES)
    answers = {}
    for queue, result in sent.items():
        try:
            answers[queue] = result.get(timeout=timeout)["worker"]
        except (CeleryTimeout, OperationalError):
            answers[queue] = None
        finally:
            result.forget()
    return answers
