"""Is each part of the app answering: the database, Redis, the media bucket, and a worker on each Celery queue."""

from celery.exceptions import TimeoutError as CeleryTimeout
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


def redis_answers() -> bool:
    try:
        cache.get("health-check")
        return True
    except Exception:
        return False


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
