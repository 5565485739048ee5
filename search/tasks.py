"""Tasks of the ml queue: thin adapters from ids to the indexing service."""

import logging
import traceback

from celery import shared_task

from profiles.models import Job
from search.indexing import job_report_index_progress, photos_index
from search.ml.errors import ModelUnavailable

log = logging.getLogger(__name__)


@shared_task(bind=True, name="search.tasks.index_photos")
def index_photos(self, photo_ids: list[int], job_id: int | None = None) -> dict:
    """Index one batch of photos; the job (if any) follows its progress across all its batches."""
    job = Job.objects.filter(pk=job_id).first() if job_id else None
    if job:
        job.claim(self.request.id or "")  # the first batch starts the job; later batches find it running
        if not job.is_active:  # cancelled, or failed on an earlier batch
            return {"skipped": len(photo_ids), "job": job.status}
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
        job_report_index_progress(job=job)
    return {"indexed": len(result.indexed), "failed": len(result.failed), "skipped": len(result.skipped)}
