"""Background work on the `scrape` queue. Each task takes an id, loads, calls a service, decides the retry.

The tasks keep the names they had in `profiles.tasks`: a message queued before an upgrade still finds its task.
"""

import traceback
from pathlib import Path
from tempfile import TemporaryDirectory

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from jobs.runner import job_task
from jobs.services import jobs, sync, uploads
from profiles import instagram
from profiles.services import imports

# How many times one import may go on in a new task past the soft time limit before it fails.
IMPORT_MAX_CONTINUATIONS = 10


# max_retries=None: Celery counts no retries here (its default stops at 3); each task counts what it must.
@job_task(name="profiles.tasks.run_sync_job", unexpected="The sync stopped on an unexpected error.", max_retries=None)
def run_sync_job(self, job, waits: int = 0) -> None:
    """Sync a profile from Instagram; a wait Instagram asks for becomes a retry, never a sleep.

    `waits` counts Instagram's waits alone: Celery's own count of retries also counts the continuations of
    a long sync past the soft time limit, which must not spend the tries a rate limit is given.
    """
    try:
        sync.profile_sync(job=job)
    except SoftTimeLimitExceeded:
        # A long first sync outlasts one task: its cursor is saved after every post, so go on in a new one.
        job.wait(timezone.now(), "Going on where it stopped.")
        raise self.retry(kwargs={"waits": waits}, countdown=1) from None
    except instagram.InstagramWait as wait:
        if waits >= settings.INSTAGRAM_MAX_RETRIES:
            job.fail(f"{wait} Gave up after {waits} tries.")
            return
        # Redis hands an unacknowledged message out again after its visibility timeout: wait less than that.
        seconds = min(wait.seconds, settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] - 60)
        sync.profile_sync_wait(job=job, wait=wait, seconds=seconds)
        raise self.retry(kwargs={"waits": waits + 1}, countdown=seconds) from None
    except instagram.InstagramError as exc:
        job.fail(str(exc)[:500], error=traceback.format_exc())


@job_task(
    name="profiles.tasks.run_import_job", unexpected="The import stopped on an unexpected error.", max_retries=None
)
def run_import_job(self, job, continuations: int = 0) -> None:
    """Import the zip of an instaloader folder that staff uploaded in the admin.

    Past the soft time limit it goes on in a new task: the import is idempotent (the posts stored are
    skipped), so the next one picks up where this one stopped.
    """
    try:
        with TemporaryDirectory() as scratch:
            folder = uploads.zip_extract(job=job, into=Path(scratch))
            report = imports.folder_import(
                path=folder,
                username=job.profile.username if job.profile else "",
                progress=lambda done, total: job.report_progress(done, total),
            )
        if job.finish(report.summary()):
            uploads.zip_discard(job=job)
    except (imports.ImportRefused, ValidationError) as exc:
        job.fail(" ".join(getattr(exc, "messages", [str(exc)])))
    except SoftTimeLimitExceeded:
        if continuations >= IMPORT_MAX_CONTINUATIONS:
            limit = settings.CELERY_TASK_SOFT_TIME_LIMIT
            job.fail(
                f"The import did not end in {continuations + 1} tasks of {limit} s each: an admin can raise "
                "CELERY_TASK_SOFT_TIME_LIMIT and retry it (what was imported stays)."
            )
            return
        job.wait(timezone.now(), "Going on where it stopped.")
        raise self.retry(kwargs={"continuations": continuations + 1}, countdown=1) from None


@shared_task(name="profiles.tasks.refresh_tracked_profiles")
def refresh_tracked_profiles() -> int:
    """Queue a sync of every tracked profile (Celery beat, every PROFILE_REFRESH_HOURS)."""
    return len(sync.profiles_sync_tracked())


@shared_task(name="profiles.tasks.sweep_stalled_jobs", soft_time_limit=60, time_limit=90)
def sweep_stalled_jobs() -> dict[str, int]:
    """Send again (or fail) the running jobs whose worker died, and the queued or waiting ones whose message
    was lost (Celery beat, every JOB_SWEEP_SECONDS)."""
    return jobs.jobs_sweep() | jobs.jobs_lost_sweep()
