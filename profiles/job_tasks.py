"""The one life cycle of a task that runs a Job: load it, claim it (or reclaim it), fail it on the unexpected."""

import traceback

from celery import shared_task
from celery.exceptions import Retry

from profiles.models import Job


def job_task(*, name: str, unexpected: str, exclusive: bool = True, **options):
    """Make `body(task, job, *args)` a Celery task that takes the job's id, then the same arguments.

    The task does nothing when the job is gone (deleted with its profile). An exclusive job (a sync,
    an import) runs in one task at a time: a task that can neither claim it nor take it back after a
    redelivery (same task id) leaves it alone. A shared one (an index job, whose batches run side by
    side) runs unless it was cancelled. An error the body did not expect fails the job with
    `unexpected`, its traceback kept for staff, and is raised again for Celery to log.
    """

    def decorate(body):
        def run(self, job_id: int, *args, **kwargs):
            job = Job.objects.select_related("profile").filter(pk=job_id).first()
            if job is None:
                return None
            # A retry carries the same task id; so does a redelivery after a worker died mid-way.
            task_id = self.request.id or ""
            claimed = job.claim(task_id) or job.reclaim(task_id)
            if not claimed and (exclusive or job.status == Job.Status.CANCELLED):
                return None
            try:
                return body(self, job, *args, **kwargs)
            except Retry:
                raise  # the body parked the job and scheduled its next try
            except Exception:
                job.fail(unexpected, error=traceback.format_exc())
                raise

        run.__name__, run.__qualname__, run.__doc__ = body.__name__, body.__qualname__, body.__doc__
        run.__module__ = body.__module__
        return shared_task(bind=True, name=name, **options)(run)

    return decorate
