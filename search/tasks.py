"""Tasks of the ml queue: thin adapters from ids to the indexing service."""

import logging
import traceback

from celery import shared_task

from alerts.tasks import notify_saved_searches
from profiles.job_tasks import job_task
from search.indexing import INDEX_FAILED, job_record_batch, photos_index, photos_index_stale
from search.ml.availability import model_path
from search.ml.errors import ModelUnavailable

log = logging.getLogger(__name__)


# Not exclusive: an index job's batches run side by side, and a batch of a job already ended
# (delivered late, or twice) still indexes its photos: they need it all the same.
@job_task(
    name="search.tasks.index_photos",
    unexpected=INDEX_FAILED,
    exclusive=False,
)
def index_photos(self, job, photo_ids: list[int]) -> dict:
    """Index one batch of photos; the job follows its progress across all its batches."""
    try:
        result = photos_index(photo_ids=photo_ids)
    except ModelUnavailable as exc:
        # Retrying would fail the same way until someone fetches the model: end the job, say how. The
        # sweep queues its photos again once the model is here; one that is here but does not load
        # keeps its traceback, so that the sweep leaves it to a person rather than fail every minute.
        log.error("%s", exc)
        job.fail(str(exc), error=traceback.format_exc() if model_path(exc.name) else "")
        return {"error": str(exc)}
    job_record_batch(job=job, photo_ids=photo_ids)
    # Saved searches: the batch's photos, indexed now, may be what someone waits for.
    notify_saved_searches.delay_on_commit(photo_ids)
    # Which worker did it: with ml workers on several machines, the result says where a batch ran.
    counts = {"indexed": len(result.indexed), "failed": len(result.failed), "skipped": len(result.skipped)}
    return counts | {"worker": self.request.hostname}


@shared_task(name="search.tasks.index_stale_photos")
def index_stale_photos() -> int:
    """Queue the photos the configured models have not indexed, once they are all here (beat, every minute)."""
    return len(photos_index_stale())
