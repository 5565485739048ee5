"""Tasks of the ml queue: thin adapters from ids to the indexing service."""

import logging
import traceback

from celery import shared_task

from profiles.models import Job
from search.indexing import job_record_batch, photos_index
from search.ml.errors import ModelUnavailable

log = logging.getLogger(__name__)


@shared_task(bind=True, name="search.tasks.index_photos")
def index_photos(self, photo_ids: list[int], job_id: int | None = None) -> dict:
    """Index one batch of photos; the job (if any) follows its progress across all its batches."""
    job = Job.objects.filter(pk=job_id).first() if job_id else None
    if job:
        if job.status == Job.Status.CANCELLED:
            return {"skipped": len(photo_ids), "job": job.status}
        # The first batch starts the job; later ones find it running. A batch of a job already ended
        # (delivered late, or twice) still indexes its photos: they need it all the same.
        job.claim(self.request.id or "")
    try:
        result = photos_index(photo_ids=photo_ids)
    except ModelUnavailable as exc:
        # Retrying would fail the same way until someone fetches the model: end the job, say how.
        log.error("%s", exc)
        if job:
            job.fail(str(exc))
        return {"error": str(exc)}
    except Exception:
        if job:
            job.fail("Indexing failed unexpectedly; an admin can see why and retry.", error=traceback.format_exc())
        raise
    if job:
        job_record_batch(job=job, photo_ids=photo_ids)
    return {"indexed": len(result.indexed), "failed": len(result.failed), "skipped": len(result.skipped)}
