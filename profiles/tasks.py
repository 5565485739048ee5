"""Background work on the `scrape` queue. Each task takes an id, loads, calls a service, decides the retry."""

import logging
import traceback
from pathlib import Path
from tempfile import TemporaryDirectory

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from profiles import instagram, services
from profiles.models import Job

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="profiles.tasks.sync_profile")
def sync_profile(self, job_id: int) -> None:
    """Sync a profile from Instagram; a wait Instagram asks for becomes a retry, never a sleep."""
    job = Job.objects.select_related("profile").filter(pk=job_id).first()
    if job is None:
        return  # deleted meanwhile (with its profile): nothing to do
    # A retry carries the same task id; so does a redelivery after a worker died mid-sync.
    if not (job.claim(self.request.id) or job.reclaim(self.request.id)):
        return
    try:
        services.profile_sync(job=job)
    except SoftTimeLimitExceeded:
        # A long first sync outlasts one task: its cursor is saved after every post, so go on in a new one.
        job.wait(timezone.now(), "Going on where it stopped.")
        raise self.retry(countdown=1, max_retries=None) from None
    except instagram.InstagramWait as wait:
        if self.request.retries >= settings.INSTAGRAM_MAX_RETRIES:
            services.profile_sync_fail(job=job, message=f"{wait} Gave up after {self.request.retries} tries.")
            return
        # Redis hands an unacknowledged message out again after its visibility timeout: wait less than that.
        seconds = min(wait.seconds, settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] - 60)
        services.profile_sync_wait(job=job, seconds=seconds)
        raise self.retry(countdown=seconds, max_retries=settings.INSTAGRAM_MAX_RETRIES) from None
    except instagram.InstagramError as exc:
        services.profile_sync_fail(job=job, message=str(exc), error=traceback.format_exc())
    except Exception:
        services.profile_sync_fail(
            job=job, message="The sync stopped on an unexpected error.", error=traceback.format_exc()
        )
        raise


@shared_task(name="profiles.tasks.refresh_tracked_profiles")
def refresh_tracked_profiles() -> int:
    """Queue a sync of every tracked profile (Celery beat, every PROFILE_REFRESH_HOURS)."""
    return len(services.profiles_refresh())


@shared_task(bind=True, name="profiles.tasks.import_zip")
def import_zip(self, job_id: int) -> None:
    """Import the zip of an instaloader folder that staff uploaded in the admin."""
    job = Job.objects.select_related("profile").filter(pk=job_id).first()
    if job is None:
        return
    if not (job.claim(self.request.id) or job.reclaim(self.request.id)):
        return
    try:
        with TemporaryDirectory() as scratch:
            folder = services.zip_extract(job=job, into=Path(scratch))
            report = services.folder_import(
                path=folder,
                username=job.profile.username if job.profile else "",
                progress=lambda done, total: job.report_progress(done, total),
            )
        job.finish(report.summary())
    except (services.ImportRefused, ValidationError) as exc:
        job.fail(" ".join(getattr(exc, "messages", [str(exc)])))
    except Exception:
        job.fail("The import stopped on an unexpected error.", error=traceback.format_exc())
        raise
