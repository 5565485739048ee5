"""What users and admins do with jobs: cancel one, retry one; and what beat does for them: send again the
running jobs whose worker died. Index jobs are retried and sent again through the indexer (jobs.indexer)."""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jobs.indexer import indexer
from jobs.models import Job

log = logging.getLogger(__name__)


class JobRefused(Exception):
    """What a user or an admin asked of a job cannot be done now; the message says why, in plain words."""


def job_cancel(*, job: Job) -> bool:
    """Cancel a queued, waiting or running job (a running one stops at its next batch); False if it had ended."""
    return job.cancel()


def job_retry(*, job: Job, requested_by=None) -> Job:
    """A new job doing again what a failed or cancelled one did; the old one stays, as history. JobRefused if not."""
    from jobs.services.sync import profile_sync_queue
    from jobs.tasks import run_import_job  # the tasks module imports this one

    with transaction.atomic():
        # The old job's row is the lock; the one-to-one retry_of makes a second retry impossible even without it.
        job = Job.objects.select_for_update(of=("self",)).select_related("profile").get(pk=job.pk)
        if job.status not in Job.RETRYABLE:
            raise JobRefused(
                f"Job #{job.pk} is {job.get_status_display().lower()}: only failed or cancelled jobs are retried."
            )
        if retried := Job.objects.filter(retry_of=job).first():
            raise JobRefused(f"Job #{job.pk} was retried already, as job #{retried.pk}.")
        if job.kind == Job.Kind.SYNC:
            new = profile_sync_queue(profile=job.profile, requested_by=requested_by, retry_of=job)
            if new is None:
                raise JobRefused(f"@{job.profile.username} is being synced already.")
        elif job.kind == Job.Kind.IMPORT:
            if not job.source_file:
                raise JobRefused(f"Job #{job.pk} has no zip left to import.")
            new = Job.objects.create(
                kind=Job.Kind.IMPORT, profile=job.profile, requested_by=requested_by, source_file=job.source_file.name,
                retry_of=job,
            )  # fmt: skip
            run_import_job.delay_on_commit(new.pk)
        else:
            new = indexer().reindex(profile=job.profile, requested_by=requested_by, retry_of=job)
            if new is None:
                raise JobRefused(f"Job #{job.pk}: every photo is indexed already, nothing to retry.")
    return new


def jobs_sweep() -> dict[str, int]:
    """Send again each running job whose heartbeat stopped (its worker died), or fail it past JOB_MAX_REQUEUES.

    A heartbeat older than JOB_STALLED_SECONDS (longer than the hard time limit) means no task of the
    job is running any more: the broker's own redelivery did not happen (the message was acknowledged,
    or lost). Safe to run twice, and beside a worker: each job changes hands in one conditional UPDATE.
    """
    stale_before = timezone.now() - timedelta(seconds=settings.JOB_STALLED_SECONDS)
    swept = {"requeued": 0, "failed": 0}
    for job in Job.objects.filter(status=Job.Status.RUNNING, heartbeat_at__lt=stale_before):
        if job_requeue(job=job, stale_before=stale_before):
            swept["requeued"] += 1
        elif job.fail_stalled(stale_before=stale_before, message=Job.worker_died_message(job.requeues + 1)):
            swept["failed"] += 1
    if any(swept.values()):
        log.warning("Stalled jobs: %(requeued)d sent again, %(failed)d failed.", swept)
    return swept


def job_requeue(*, job: Job, stale_before) -> bool:
    """Send the stalled job's task again, as a new delivery that alone may reclaim it; False if it may not."""
    from jobs.tasks import run_import_job, run_sync_job  # the tasks module imports this one

    task_id = str(uuid.uuid4())
    with transaction.atomic():
        if not job.requeue(stale_before=stale_before, celery_task_id=task_id, limit=settings.JOB_MAX_REQUEUES):
            return False
        if job.kind == Job.Kind.INDEX:
            indexer().resend(job=job, task_id=task_id)
        else:
            task = run_sync_job if job.kind == Job.Kind.SYNC else run_import_job
            task.apply_async_on_commit((job.pk,), task_id=task_id)
    log.warning("Job #%d stalled: sent again as task %s.", job.pk, task_id)
    return True
