"""Jobs: the background work on profiles (a sync, an import, an index job), as rows users and admins watch."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce, Least
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from profiles.models import InstagramProfile, Photo


def import_upload_to(job: "Job", filename: str) -> str:
    return f"imports/{timezone.now():%Y/%m/%d}/{filename}"


class JobQuerySet(models.QuerySet):
    def active(self) -> "JobQuerySet":
        """Jobs not ended yet: queued, running or waiting."""
        return self.filter(status__in=Job.ACTIVE)

    def ended(self) -> "JobQuerySet":
        return self.exclude(status__in=Job.ACTIVE)

    def of_kind(self, *kinds: str) -> "JobQuerySet":
        return self.filter(kind__in=kinds)


class Job(models.Model):
    """A unit of background work, written by the task that does it: what users and admins watch."""

    class Kind(models.TextChoices):
        SYNC = "sync", _("Sync from Instagram")
        IMPORT = "import", _("Import an instaloader folder")
        INDEX = "index", _("Index photos")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        WAITING = "waiting", _("Waiting")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE = (Status.QUEUED, Status.RUNNING, Status.WAITING)
    RETRYABLE = (Status.FAILED, Status.CANCELLED)
    # Syncs and imports fetch a profile's posts; index jobs understand its photos.
    FETCHING = (Kind.SYNC, Kind.IMPORT)
    # The Celery queue each kind runs on (settings.CELERY_TASK_ROUTES routes the tasks the same way).
    QUEUES = {Kind.SYNC: "scrape", Kind.IMPORT: "scrape", Kind.INDEX: "ml"}

    kind = models.CharField(max_length=16, choices=Kind.choices)
    profile = models.ForeignKey(InstagramProfile, on_delete=models.CASCADE, related_name="jobs", null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="jobs", null=True, blank=True
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    message = models.CharField(max_length=500, blank=True, help_text="What users see, in plain words.")
    error = models.TextField(blank=True, help_text="Technical detail (a traceback) for staff only.")
    wait_until = models.DateTimeField(null=True, blank=True, help_text="While waiting: when the job goes on.")
    # An index job that ended because a model is not on this machine: its photos wait for the models
    # (beat's sweep indexes them once they are here), which pages say rather than "Failed".
    waits_for_models = models.BooleanField(default=False)
    celery_task_id = models.CharField(max_length=255, blank=True)
    # One-to-one: a job is retried at most once, so two clicks on "retry" can never make two jobs.
    retry_of = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="retry",
        help_text="The job this one retries.",
    )
    # An import's zip, kept in Django storage so that any worker on any machine can read it.
    source_file = models.FileField(upload_to=import_upload_to, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Touched by the worker at every step: a running job whose heartbeat stops was lost with its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    requeues = models.PositiveSmallIntegerField(default=0, help_text="Times it was sent again after its worker died.")

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Two syncs of one profile at once would fetch every post twice and race on its cursor.
            models.UniqueConstraint(
                fields=["profile"],
                condition=models.Q(kind="sync", status__in=["queued", "running", "waiting"]),
                name="job_one_active_sync_per_profile",
                violation_error_message="This profile is being synced already.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "kind"], name="job_status_kind"),
            models.Index(fields=["profile", "-created_at"], name="job_profile_created_at"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    # Every change of status below is one conditional UPDATE, so two workers (or a worker and an
    # admin clicking cancel) can never both win: the caller learns whether its change happened.

    def _transition(self, allowed_from, **changes) -> bool:
        changes["updated_at"] = changes["heartbeat_at"] = timezone.now()
        won = Job.objects.filter(pk=self.pk, status__in=allowed_from).update(**changes) == 1
        self.refresh_from_db()
        return won

    def claim(self, celery_task_id: str = "") -> bool:
        """Mark the job running for this worker; False if it is already running, finished or cancelled."""
        return self._transition(
            [self.Status.QUEUED, self.Status.WAITING],
            status=self.Status.RUNNING,
            started_at=self.started_at or timezone.now(),
            wait_until=None,
            celery_task_id=celery_task_id or self.celery_task_id,
        )

    def reclaim(self, celery_task_id: str) -> bool:
        """Take back a running job for the same task delivered again (its worker died mid-way)."""
        won = (
            bool(celery_task_id)
            and Job.objects.filter(pk=self.pk, status=self.Status.RUNNING, celery_task_id=celery_task_id).update(
                updated_at=timezone.now(), heartbeat_at=timezone.now()
            )
            == 1
        )
        self.refresh_from_db()
        return won

    def survive_worker_death(self, *, limit: int) -> bool:
        """Count one more death of the worker running this job (its task came back from the broker);
        False once it died `limit` times already: the job itself kills its worker, stop handing it out."""
        return (
            Job.objects.filter(pk=self.pk, status=self.Status.RUNNING, requeues__lt=limit).update(
                requeues=models.F("requeues") + 1, heartbeat_at=timezone.now()
            )
            == 1
        )

    @staticmethod
    def worker_died_message(times: int) -> str:
        stopped = gettext(
            "The worker running this job stopped %(times)d times (out of memory, or killed); "
            "an admin can see the worker's log and retry it."
        )
        return stopped % {"times": times}

    def beat(self) -> bool:
        """Say the job's worker is alive (a batch of a shared job starts); False once the job is not running."""
        return Job.objects.filter(pk=self.pk, status=self.Status.RUNNING).update(heartbeat_at=timezone.now()) == 1

    def requeue(self, *, stale_before, celery_task_id: str, limit: int) -> bool:
        """Hand a running job whose heartbeat stopped before `stale_before` to a new delivery of its task.

        The new task id is the only one that may reclaim it from now on; False if the job moved meanwhile
        (its worker was alive after all, or another sweep took it) or was requeued `limit` times already.
        """
        won = (
            Job.objects.filter(
                pk=self.pk, status=self.Status.RUNNING, heartbeat_at__lt=stale_before, requeues__lt=limit
            ).update(
                celery_task_id=celery_task_id,
                requeues=models.F("requeues") + 1,
                heartbeat_at=timezone.now(),
                updated_at=timezone.now(),
            )
            == 1
        )
        self.refresh_from_db()
        return won

    def resend_lost(self, *, seen_at, celery_task_id: str, limit: int) -> bool:
        """Hand a queued or waiting job whose task message was lost to a new one, if it has not changed since
        `seen_at` (its updated_at when the sweeper looked) and was not sent again `limit` times already."""
        won = (
            Job.objects.filter(
                pk=self.pk, status__in=[self.Status.QUEUED, self.Status.WAITING], updated_at=seen_at, requeues__lt=limit
            ).update(celery_task_id=celery_task_id, requeues=models.F("requeues") + 1, updated_at=timezone.now())
            == 1
        )
        self.refresh_from_db()
        return won

    def fail_lost(self, *, seen_at, message: str) -> bool:
        """Fail a queued or waiting job whose message was lost once too often, if unchanged since `seen_at`."""
        won = (
            Job.objects.filter(
                pk=self.pk, status__in=[self.Status.QUEUED, self.Status.WAITING], updated_at=seen_at
            ).update(status=self.Status.FAILED, message=message, finished_at=timezone.now(), updated_at=timezone.now())
            == 1
        )
        self.refresh_from_db()
        return won

    @staticmethod
    def message_lost_message(times: int) -> str:
        return (
            f"This job's task was lost {times} times on its way to a worker (the queues' Redis lost it); "
            "an admin can see Redis's log and retry it."
        )

    def advance(self, by: int) -> bool:
        """Count `by` more items done (a batch of a job that has several); False once the job is not running."""
        done = models.F("progress_done") + by
        # Never past the total (callers count each item once: see JobPhoto); this is the last guard.
        return self._transition([self.Status.RUNNING], progress_done=Least(done, Coalesce("progress_total", done)))

    def report_progress(self, done: int, total: int | None = None) -> bool:
        """Record progress; False once the job has been cancelled, which the worker takes as its cue to stop."""
        changes = {"progress_done": done}
        if total is not None:
            changes["progress_total"] = total
        return self._transition([self.Status.RUNNING], **changes)

    def wait(self, until, message: str) -> bool:
        """Park a running job until a given time (Instagram asked us to slow down)."""
        return self._transition([self.Status.RUNNING], status=self.Status.WAITING, wait_until=until, message=message)

    def finish(self, message: str = "") -> bool:
        return self._transition(
            [self.Status.RUNNING], status=self.Status.DONE, message=message, finished_at=timezone.now()
        )

    def fail(self, message: str, error: str = "", *, waits_for_models: bool = False) -> bool:
        return self._transition(
            self.ACTIVE,
            status=self.Status.FAILED,
            message=message,
            error=error,
            finished_at=timezone.now(),
            waits_for_models=waits_for_models,
        )

    def fail_stalled(self, *, stale_before, message: str) -> bool:
        """Fail a running job whose heartbeat stopped before `stale_before`; False if it showed life meanwhile."""
        won = (
            Job.objects.filter(pk=self.pk, status=self.Status.RUNNING, heartbeat_at__lt=stale_before).update(
                status=self.Status.FAILED, message=message, finished_at=timezone.now(), updated_at=timezone.now()
            )
            == 1
        )
        self.refresh_from_db()
        return won

    def cancel(self) -> bool:
        """Cancel a queued, waiting or running job; a running one stops at its next progress report."""
        return self._transition(
            self.ACTIVE, status=self.Status.CANCELLED, message=gettext("Cancelled."), finished_at=timezone.now()
        )

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class JobPhoto(models.Model):
    """A photo an index job has to index, and whether one of its batches has counted it yet.

    A batch counts only the photos not counted before, in the same transaction as the job's progress:
    a batch delivered twice (its worker died before acknowledging it) is counted once. The sweeper
    sends a stalled job's uncounted photos again.
    """

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="job_photos")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+")
    counted = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "photo"], name="jobphoto_unique_job_photo")]

    def __str__(self):
        return f"photo {self.photo_id} of job #{self.job_id}"
