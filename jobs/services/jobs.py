"""What users and admins do with jobs: cancel one, retry one; and what beat does for them: send again the
running jobs whose worker died, and the queued or waiting ones whose task message was lost. Index jobs are
retried and sent again through the indexer (jobs.indexer)."""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

from jobs import broker
from jobs.indexer import indexer
from jobs.models import Job
from jobs.runner import job_send_on_commit

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
            job_send_on_commit(run_import_job, (new.pk,))
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


def jobs_lost_sweep() -> dict[str, int]:
    """Send again each job queued, or waiting past its time, for longer than JOB_LOST_SECONDS whose task message
    is nowhere in the broker (Redis was down when it was queued, or restored from a backup); fail it past
    JOB_MAX_REQUEUES. A job whose message waits behind others, or in a worker's hands, is left alone."""
    before = timezone.now() - timedelta(seconds=settings.JOB_LOST_SECONDS)
    waiting_past = Q(status=Job.Status.WAITING, wait_until__lt=before)
    candidates = list(Job.objects.filter(Q(status=Job.Status.QUEUED) | waiting_past, updated_at__lt=before))
    swept = {"resent": 0, "lost": 0}
    if not candidates:
        return swept
    try:
        held = broker.jobs_with_messages()
    except (OperationalError, RedisError, OSError):  # the broker is down: its messages cannot be told from lost ones
        log.warning("The broker does not answer: queued jobs are looked at again at the next sweep.")
        return swept
    for job in candidates:
        if job.pk in held:
            continue
        seen_at = job.updated_at  # each change below wins only if the job did not move since it was read
        if job_resend_lost(job=job, seen_at=seen_at):
            swept["resent"] += 1
        elif job.fail_lost(seen_at=seen_at, message=Job.message_lost_message(job.requeues + 1)):
            swept["lost"] += 1
    if any(swept.values()):
        log.warning("Jobs whose task was lost: %(resent)d sent again, %(lost)d failed.", swept)
    return swept


def job_requeue(*, job: Job, stale_before) -> bool:
    """Send the stalled job's task again, as a new delivery that alone may reclaim it; False if it may not."""
    return job_send_again(
        job=job,
        resend=lambda task_id: job.requeue(
            stale_before=stale_before, celery_task_id=task_id, limit=settings.JOB_MAX_REQUEUES
        ),
    )


def job_resend_lost(*, job: Job, seen_at) -> bool:
    """Send the lost job's task again under a new id; False if it moved since `seen_at`, or was sent too often."""

    def resend(task_id: str) -> bool:
        return job.resend_lost(seen_at=seen_at, celery_task_id=task_id, limit=settings.JOB_MAX_REQUEUES)

    return job_send_again(job=job, resend=resend)


def job_send_again(*, job: Job, resend) -> bool:
    """Send the job's task again under a new id, if `resend(task_id)` (its conditional UPDATE) wins."""
    from jobs.tasks import run_import_job, run_sync_job  # the tasks module imports this one

    task_id = str(uuid.uuid4())
    with transaction.atomic():
        if not resend(task_id):
            return False
        if job.kind == Job.Kind.INDEX:
            indexer().resend(job=job, task_id=task_id)
        else:
            task = run_sync_job if job.kind == Job.Kind.SYNC else run_import_job
            job_send_on_commit(task, (job.pk,), task_id=task_id)
    log.warning("Job #%d sent again as task %s.", job.pk, task_id)
    return True
