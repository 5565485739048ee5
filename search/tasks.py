"""Tasks of the ml and describe queues: thin adapters from ids to the indexing services."""

import logging
import traceback

from celery import shared_task

from jobs.runner import job_task
from search.indexing import (
    INDEX_FAILED,
    index_batch,
    photos_describe,
    photos_describe_stale,
    photos_describe_unavailable,
    photos_index_stale,
)
from search.ml.availability import model_path
from search.ml.errors import ModelUnavailable
from search.signals import photos_indexed

log = logging.getLogger(__name__)


# Not exclusive: an index job's batches run side by side, and a batch of a job already ended
# (delivered late, or twice) still indexes its photos: they need it all the same.
@job_task(
    name="search.tasks.index_photos",
    unexpected=INDEX_FAILED,
    exclusive=False,
)
def index_photos(self, job, photo_ids: list[int]) -> dict:
    """The first pass over one batch of photos (what makes them searchable); the job follows its progress
    across all its batches, and each batch queues the second pass of its photos."""
    try:
        result, described = index_batch(job=job, photo_ids=photo_ids)
    except ModelUnavailable as exc:
        # Retrying would fail the same way until someone fetches the model: end the job, say how. The
        # sweep queues its photos again once the model is here; one that is here but does not load
        # keeps its traceback, so that the sweep leaves it to a person rather than fail every minute.
        log.error("%s", exc)
        here = model_path(exc.name) is not None
        job.fail(str(exc), error=traceback.format_exc() if here else "", waits_for_models=not here)
        return {"error": str(exc)}
    # Which worker did it: with ml workers on several machines, the result says where a batch ran.
    counts = {"indexed": len(result.indexed), "failed": len(result.failed), "skipped": len(result.skipped)}
    return counts | {"describe_queued": described, "worker": self.request.hostname}


@shared_task(name="search.tasks.describe_photos")
def describe_photos(photo_ids: list[int]) -> dict:
    """The second pass over one batch of photos (description, words read, text vector again); safe to run twice."""
    try:
        result = photos_describe(photo_ids=photo_ids)
    except ModelUnavailable as exc:
        # The photos stay searchable; the sweep sends them again once the model can be loaded.
        log.error("%s", exc)
        photos_describe_unavailable(photo_ids=photo_ids, exc=exc)
        return {"error": str(exc)}
    if result.indexed:
        # A description or the words read can make a photo match a saved search its post's words did not.
        photos_indexed.send(sender=describe_photos, photo_ids=result.indexed)
    counts = {"described": len(result.indexed), "failed": len(result.failed), "skipped": len(result.skipped)}
    return counts | {"worker": describe_photos.request.hostname}


@shared_task(name="search.tasks.index_stale_photos")
def index_stale_photos() -> dict:
    """Queue what the configured models have not done, each pass once its models are here (beat, every minute)."""
    return {"index_jobs": len(photos_index_stale()), "describe_queued": photos_describe_stale()}
