"""The one life cycle of a task that runs a Job: load it, claim it (or reclaim it), fail it on the unexpected."""

import traceback

from celery import shared_task
from celery.exceptions import Retry
from django.conf import settings

from jobs.models import Job


def _redelivered(task) -> bool:
    """Whether the broker hands this message out again (Redis flags the messages it restores)."""
    return bool((task.request.delivery_info or {}).get("redelivered"))


def job_task(*, name: str, unexpected: str, exclusive: bool = True, **options):
    """Make `body(task, job, *args)` a Celery task that takes the job's id, then the same arguments.

    The task does nothing when the job is gone (deleted with its profile). An exclusive job (a sync,
    an import) runs in one task at a time: a task that can neither claim it nor take it back after a
    redelivery (same task id) leaves it alone; a redelivery after its worker died is let through
    JOB_MAX_REQUEUES times, then fails the job. A shared one (an index job, whose batches run side by
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
            fresh = job.claim(task_id)
            # Its worker died mid-task and the broker handed the task back: go on, a limited number of
            # times, or a task that kills its worker (out of memory) would be handed out for ever.
            died = (
                not fresh
                and job.status == Job.Status.RUNNING
                and _redelivered(self)
                and (not exclusive or task_id == job.celery_task_id)
            )
            if died and not job.survive_worker_death(limit=settings.JOB_MAX_REQUEUES):
                job.fail(Job.worker_died_message(job.requeues + 1))
                return None
            claimed = fresh or job.reclaim(task_id)
            if not claimed and (exclusive or job.status == Job.Status.CANCELLED):
                return None
            if not claimed:
                job.beat()  # another batch of a shared job: its worker is alive too
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
