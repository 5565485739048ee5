"""Tasks of the ml queue: thin adapters from ids to the indexing service."""

import logging

from profiles.job_tasks import job_task
from search.indexing import job_record_batch, photos_index
from search.ml.errors import ModelUnavailable

log = logging.getLogger(__name__)


# Not exclusive: an index job's batches run side by side, and a batch of a job already ended
# (delivered late, or twice) still indexes its photos: they need it all the same.
@job_task(
    name="search.tasks.index_photos",
    unexpected="Indexing failed unexpectedly; an admin can see why and retry.",
    exclusive=False,
)
def index_photos(self, job, photo_ids: list[int]) -> dict:
    """Index one batch of photos; the job follows its progress across all its batches."""
    try:
        result = photos_index(photo_ids=photo_ids)
    except ModelUnavailable as exc:
        # Retrying would fail the same way until someone fetches the model: end the job, say how.
        log.error("%s", exc)
        job.fail(str(exc))
        return {"error": str(exc)}
    job_record_batch(job=job, photo_ids=photo_ids)
    # Which worker did it: with ml workers on several machines, the result says where a batch ran.
    counts = {"indexed": len(result.indexed), "failed": len(result.failed), "skipped": len(result.skipped)}
    return counts | {"worker": self.request.hostname}
