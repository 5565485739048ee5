"""Instagram profiles, the users who track them, their posts and photos, and the Instagram sessions that fetch them."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from pgvector.django import HalfVectorField, HnswIndex

# Instagram's own rule for usernames: 1 to 30 letters, digits, periods and underscores.
validate_instagram_username = RegexValidator(
    r"\A[A-Za-z0-9._]{1,30}\Z",
    _("An Instagram username has 1 to 30 characters: letters, digits, periods and underscores."),
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
    it is derived from its jobs, in one place (jobs.selectors.profile_states)."""

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


def video_upload_to(post: "Post", filename: str) -> str:
    return f"videos/{post.profile.username}/{post.shortcode}.mp4"


class Post(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        CAROUSEL = "carousel", _("Carousel")
        VIDEO = "video", _("Video")

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
    # A video post's video, stored beside its cover (core/videos.py checked it); its frames are photos of the post.
    video = models.FileField(upload_to=video_upload_to, blank=True)
    video_seconds = models.FloatField(null=True, blank=True)
    # When the ml worker sampled the video into frames (search.indexing): each video is sampled once.
    video_sampled_at = models.DateTimeField(null=True, blank=True)
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


# Which of the two passes a photo is through (search.indexing), judged by the models configured now: an
# empty model setting turns its role off. Q objects, for filters and for counts (Count(filter=...)).


def current_models() -> dict[str, str]:
    """The configured model of each output a pass writes, by the Photo field that names it."""
    return {
        "image_embedding_model": settings.IMAGE_TEXT_MODEL,
        "description_model": settings.DESCRIPTION_MODEL,
        "text_embedding_model": settings.TEXT_MODEL,
        "ocr_model": settings.OCR_ENGINE,
    }


def searchable_models() -> dict[str, str]:
    """The model of each output of the first pass, for the roles that are on."""
    outputs = ("image_embedding_model", "text_embedding_model")
    return {name: value for name, value in current_models().items() if name in outputs and value}


def described_models() -> dict[str, str]:
    """The model of each output of the second pass, for the roles that are on."""
    outputs = ("description_model", "ocr_model")
    return {name: value for name, value in current_models().items() if name in outputs and value}


def describing_on() -> bool:
    """Whether a second pass has anything to do: the describer or the reader is on."""
    return bool(described_models())


def photos_searchable() -> Q:
    """Photos the first pass is done with: hashed, with the vectors of the configured models; or failed for good."""
    return Q(**searchable_models(), image_hashes__len__gt=0) | ~Q(index_error="")


def _done_by(done: dict[str, str]) -> Q:
    """Photos with every output of `done` from its model; a video frame left undescribed needs no description."""
    if model := done.get("description_model"):
        others = {name: value for name, value in done.items() if name != "description_model"}
        return Q(**others) & (Q(description_model=model) | Q(describe=False))
    return Q(**done)


def photos_described() -> Q:
    """Photos the second pass is done with (described and read by the configured models), or failed for good."""
    done = described_models()
    # Q() | x is x in Django: with both roles off, every photo is as described as it will be.
    return _done_by(done) | ~Q(index_error="") if done else Q()


def photos_awaiting_description() -> Q:
    """Searchable photos the second pass has still to do (none when both of its roles are off): those
    waiting for the describer or the reader."""
    done = described_models()
    if not done:
        return Q(pk__in=[])
    return Q(index_error="") & Q(**searchable_models(), image_hashes__len__gt=0) & ~_done_by(done)


class PhotoQuerySet(models.QuerySet):
    """Photos by where they stand in the two passes; indexing, the pages and the API all read them here."""

    def not_searchable(self) -> "PhotoQuerySet":
        """Photos the first pass has still to do: new ones, and those of a model changed since."""
        return self.exclude(photos_searchable())

    def awaiting_description(self) -> "PhotoQuerySet":
        return self.filter(photos_awaiting_description())

    def unreadable(self) -> "PhotoQuerySet":
        """Photos whose image could not be read: the first pass failed them for good."""
        return self.exclude(index_error="")

    def with_current_image_vector(self) -> "PhotoQuerySet":
        """Photos with an image-text vector of the configured model: those search compares by image."""
        return self.filter(image_embedding_model=settings.IMAGE_TEXT_MODEL)

    def with_current_text_vector(self) -> "PhotoQuerySet":
        """Photos with a text vector of the configured model: those search compares by text."""
        return self.filter(text_embedding_model=settings.TEXT_MODEL)

    def of_profile(self, profile) -> "PhotoQuerySet":
        """The photos of a profile; all of them for None."""
        return self if profile is None else self.filter(post__profile=profile)


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
    """One image of a post: the post's image, a carousel slide, a video's thumbnail, or a frame of its video."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="photos")
    position = models.PositiveSmallIntegerField(default=1, help_text="1 for the first image of the post.")
    image = models.ImageField(upload_to=photo_upload_to, width_field="width", height_field="height")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64)
    perceptual_hash = models.CharField(max_length=16, blank=True)
    alt_text = models.TextField(blank=True, help_text="Instagram's accessibility caption.")
    video_time = models.FloatField(null=True, blank=True, help_text="A frame's time in its post's video, in seconds.")
    # False for a video's frames other than its most representative ones: the reader reads them, the describer
    # (the slowest model by far) leaves them.
    describe = models.BooleanField(default=True)
    description = models.TextField(blank=True, help_text="Written by the describer model.")
    description_model = models.CharField(max_length=200, blank=True)
    image_embedding = HalfVectorField(dimensions=settings.IMAGE_TEXT_DIMENSIONS, null=True, blank=True)
    image_embedding_model = models.CharField(max_length=200, blank=True)
    text_embedding = HalfVectorField(dimensions=settings.TEXT_DIMENSIONS, null=True, blank=True)
    text_embedding_model = models.CharField(max_length=200, blank=True)
    ocr_text = models.TextField(blank=True, help_text="The words written in the photo, read by the reader (OCR).")
    ocr_model = models.CharField(max_length=200, blank=True)
    # Perceptual hashes (core/perceptual.py) as signed 64-bit integers, and their bands for the GIN
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

    objects = PhotoQuerySet.as_manager()

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

    @property
    def moment(self) -> str:
        """Where this frame is in its post's video ("0:04"); empty for a photo."""
        if self.video_time is None:
            return ""
        hours, rest = divmod(int(self.video_time), 3600)
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


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
