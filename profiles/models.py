"""Instagram profiles, the users who track them, their posts and photos, and the jobs that fill them."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce, Least, Lower
from django.utils import timezone
from pgvector.django import HalfVectorField, HnswIndex

# Instagram's own rule for usernames: 1 to 30 letters, digits, periods and underscores.
validate_instagram_username = RegexValidator(
    r"\A[A-Za-z0-9._]{1,30}\Z",
    "An Instagram username has 1 to 30 characters: letters, digits, periods and underscores.",
)


class InstagramProfileQuerySet(models.QuerySet):
    def tracked_by(self, user) -> "InstagramProfileQuerySet":
        """The profiles `user` tracks and may see: the only ones whose posts and photos that user may see.

        A private profile counts only for the users a staff member allowed (PrivateProfileAccess):
        typing its name is not enough. Every read of a profile, a post or a photo goes through here.
        """
        allowed = PrivateProfileAccess.objects.filter(profile=OuterRef("pk"), user=user)
        return self.filter(trackings__user=user).filter(Q(is_private=False) | Exists(allowed))

    def with_stored_posts(self) -> "InstagramProfileQuerySet":
        """Each profile with `stored_posts`, how many of its posts are stored."""
        return self.annotate(stored_posts=models.Count("posts"))


class InstagramProfile(models.Model):
    """A profile on Instagram. Where it stands (syncing, failed, up to date...) is not stored here:
    it is derived from its jobs, in one place (profiles.selectors.profile_states)."""

    # Stored lower-cased (Instagram ignores case); the constraint below also holds for raw SQL writes.
    username = models.CharField(max_length=30, validators=[validate_instagram_username])
    instagram_id = models.CharField(max_length=32, blank=True, help_text="Instagram's numeric user id.")
    full_name = models.CharField(max_length=150, blank=True)
    biography = models.TextField(blank=True)
    is_private = models.BooleanField(default=False)
    post_count = models.PositiveIntegerField(null=True, blank=True)
    profile_picture = models.ImageField(upload_to="profiles/", blank=True)
    # The demo profile comes from a folder in the repository: it is never synced from Instagram.
    is_demo = models.BooleanField(default=False, help_text="Loaded by `manage.py load_demo`; never synced.")
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # Where an interrupted sync resumes: instaloader's frozen post iterator, as JSON.
    sync_cursor = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    trackers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Tracking", related_name="tracked_profiles", blank=True
    )

    objects = InstagramProfileQuerySet.as_manager()

    class Meta:
        ordering = ["username"]
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="profile_username_unique_ci",
                violation_error_message="This Instagram profile is already stored.",
            ),
            models.UniqueConstraint(
                fields=["instagram_id"], condition=~models.Q(instagram_id=""), name="profile_instagram_id_unique"
            ),
        ]

    def __str__(self):
        return f"@{self.username}"

    def save(self, *args, **kwargs):
        self.username = self.username.lower()
        super().save(*args, **kwargs)

    @property
    def url(self) -> str:
        """The profile's page on Instagram."""
        return f"https://www.instagram.com/{self.username}/"

    def allows(self, user) -> bool:
        """Whether `user` may track this profile: any public one; a private one only with a staff member's leave."""
        return not self.is_private or self.private_accesses.filter(user=user).exists()


class Tracking(models.Model):
    """A user follows a profile in photosearch: its photos are in that user's searches."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trackings")
    profile = models.ForeignKey(InstagramProfile, on_delete=models.CASCADE, related_name="trackings")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "profile"], name="tracking_unique_user_profile")]

    def __str__(self):
        return f"{self.user} tracks {self.profile}"


class PrivateProfileAccess(models.Model):
    """A staff member lets one user track a private profile and see what is stored of it."""

    profile = models.ForeignKey(InstagramProfile, on_delete=models.CASCADE, related_name="private_accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="private_accesses")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "private profile access"
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "user"],
                name="private_access_unique_profile_user",
                violation_error_message="This user may see this profile already.",
            )
        ]

    def __str__(self):
        return f"{self.user} may see {self.profile}"


class Post(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        CAROUSEL = "carousel", "Carousel"
        VIDEO = "video", "Video"

    profile = models.ForeignKey(InstagramProfile, on_delete=models.CASCADE, related_name="posts")
    shortcode = models.CharField(max_length=64, unique=True)
    media_id = models.CharField(max_length=40, blank=True, help_text="Instagram's numeric media id.")
    taken_at = models.DateTimeField()
    caption = models.TextField(blank=True)
    hashtags = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    mentions = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    location_name = models.CharField(max_length=255, blank=True)
    likes = models.PositiveIntegerField(null=True, blank=True, help_text="Empty where Instagram hides it.")
    comments = models.PositiveIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.IMAGE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-taken_at"]
        indexes = [models.Index(fields=["profile", "-taken_at"], name="post_profile_taken_at")]

    def __str__(self):
        return self.shortcode

    @property
    def permalink(self) -> str:
        """The post on Instagram; /p/ serves images, carousels and reels alike."""
        return f"https://www.instagram.com/p/{self.shortcode}/"


# How the HNSW graphs are built. ef_construction 128 rather than pgvector's 64: on a million clustered
# vectors (bench/search_latency.py's), a search in a graph built with 64 misses about one true
# neighbour in twenty, whatever its ef_search (recall@10 stuck between 0.93 and 0.96); with 96, one
# in seventy (0.985); with 128, about one in a thousand (0.999 from ef_search 500). It costs build
# time (441 s for the image vectors' graph at a million photos, against 316 s with 96), not query
# time, nor index size.
HNSW_M = 16
HNSW_EF_CONSTRUCTION = 128


def _cosine_hnsw(field: str) -> HnswIndex:
    # Half-precision vectors: half the memory of float32, with no measurable loss of recall.
    return HnswIndex(
        name=f"photo_{field}_hnsw",
        fields=[field],
        m=HNSW_M,
        ef_construction=HNSW_EF_CONSTRUCTION,
        opclasses=["halfvec_cosine_ops"],
    )


def photo_upload_to(photo: "Photo", filename: str) -> str:
    # Grouped by profile, named after the post, so a folder of files still makes sense to a person.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"photos/{photo.post.profile.username}/{photo.post.shortcode}_{photo.position}.{extension}"


class Photo(models.Model):
    """One image of a post: the post's image, a carousel slide, or a video's thumbnail."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="photos")
    position = models.PositiveSmallIntegerField(default=1, help_text="1 for the first image of the post.")
    image = models.ImageField(upload_to=photo_upload_to, width_field="width", height_field="height")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    perceptual_hash = models.CharField(max_length=16, blank=True)
    alt_text = models.TextField(blank=True, help_text="Instagram's accessibility caption.")
    description = models.TextField(blank=True, help_text="Written by the describer model.")
    description_model = models.CharField(max_length=200, blank=True)
    image_embedding = HalfVectorField(dimensions=settings.IMAGE_TEXT_DIMENSIONS, null=True, blank=True)
    image_embedding_model = models.CharField(max_length=200, blank=True)
    text_embedding = HalfVectorField(dimensions=settings.TEXT_DIMENSIONS, null=True, blank=True)
    text_embedding_model = models.CharField(max_length=200, blank=True)
    ocr_text = models.TextField(blank=True, help_text="The words written in the photo, read by the reader (OCR).")
    ocr_model = models.CharField(max_length=200, blank=True)
    # Perceptual hashes (search/perceptual.py) as signed 64-bit integers, and their bands for the GIN
    # index that finds a photo again from a copy of it (search by a photo).
    image_hashes = ArrayField(models.BigIntegerField(), default=list, blank=True)
    image_hash_bands = ArrayField(models.IntegerField(), default=list, blank=True)
    # When the first pass made it searchable (image and text vectors, full text).
    indexed_at = models.DateTimeField(null=True, blank=True)
    index_error = models.TextField(blank=True)
    # When its second pass (description, words read) was queued, until that pass is done: the sweep
    # tells a second pass that was lost (its worker died, Redis lost it) from one still waiting.
    describe_queued_at = models.DateTimeField(null=True, blank=True)
    # Written by the database (triggers in migration 0002) from this photo's text and its post's.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["post", "position"]
        constraints = [models.UniqueConstraint(fields=["post", "position"], name="photo_unique_post_position")]
        indexes = [
            _cosine_hnsw("image_embedding"),
            _cosine_hnsw("text_embedding"),
            GinIndex(fields=["search_vector"], name="photo_search_vector_gin"),
            GinIndex(fields=["image_hash_bands"], name="photo_image_hash_bands_gin"),
        ]

    def __str__(self):
        return f"{self.post.shortcode} #{self.position}"

    @property
    def slide(self) -> int | None:
        """The photo's number within its post when the post is a carousel, else None (reads `post`)."""
        return self.position if self.post.kind == Post.Kind.CAROUSEL else None


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
        SYNC = "sync", "Sync from Instagram"
        IMPORT = "import", "Import an instaloader folder"
        INDEX = "index", "Index photos"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        WAITING = "waiting", "Waiting"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

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
        return (
            f"The worker running this job stopped {times} times (out of memory, or killed); "
            "an admin can see the worker's log and retry it."
        )

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

    def fail(self, message: str, error: str = "") -> bool:
        return self._transition(
            self.ACTIVE, status=self.Status.FAILED, message=message, error=error, finished_at=timezone.now()
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
            self.ACTIVE, status=self.Status.CANCELLED, message="Cancelled.", finished_at=timezone.now()
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


class InstagramSession(models.Model):
    """A signed-in Instagram session (its cookies): Instagram shows far more to a signed-in visitor.

    The cookies are a password in all but name: they are never shown, listed or logged.
    """

    username = models.CharField(max_length=30, unique=True, validators=[validate_instagram_username])
    cookies = models.JSONField(default=dict, editable=False)
    is_active = models.BooleanField(default=True, help_text="The newest active session is the one used.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self):
        return f"@{self.username}"

    def __repr__(self):
        # The default repr would do, but say so: nothing here may ever print the cookies.
        return f"<InstagramSession @{self.username}>"
