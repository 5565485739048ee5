"""The one life cycle of a task that runs a Job: sent after commit, load it, claim it (or reclaim it), fail it
on the unexpected."""

import logging
import traceback

from celery import shared_task
from celery.exceptions import Retry
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from jobs.models import Job

log = logging.getLogger(__name__)


def job_send_on_commit(task, args: tuple, **options) -> None:
    """Queue a job's task once the transaction commits. When the broker cannot take it (Redis down past the
    publish retries), the job stays queued and the sentence is logged, never raised into the page that
    asked: beat's sweep sends it once Redis is back (jobs.services.jobs.jobs_lost_sweep)."""

    def send():
        try:
            task.apply_async(args, **options)
        # kombu's error when the message cannot be published; redis-py's, or Celery's RuntimeError, when the
        # result backend (the same Redis) cannot subscribe to the task's result first.
        except (OperationalError, RedisError, RuntimeError) as exc:
            log.warning("Job #%s could not be queued (%s): beat's sweep sends it once Redis is back.", args[0], exc)

    transaction.on_commit(send)


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
        # runs_job: a class attribute of the task, by which jobs.broker knows the messages that carry a job's id.
        return shared_task(bind=True, name=name, runs_job=True, **options)(run)

    return decorate
