"""Saved searches, and the notifications that new photos matching them become."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from profiles.models import InstagramProfile, Photo, Post
from search.types import MAX_QUERY_LENGTH, SearchFilters

MAX_NAME_LENGTH = 100


class SavedSearchQuerySet(models.QuerySet):
    def with_unread(self) -> "SavedSearchQuerySet":
        """Each saved search with `unread`, how many of its notifications are not read yet."""
        return self.annotate(unread=models.Count("notifications", filter=models.Q(notifications__read_at__isnull=True)))


class SavedSearch(models.Model):
    """A query and its filters, kept under a name: new photos that match it notify its owner."""

    class Sort(models.TextChoices):
        RELEVANCE = "relevance", "Relevance"
        DATE = "date", "Date"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=MAX_NAME_LENGTH)
    query = models.CharField(max_length=MAX_QUERY_LENGTH)
    # Empty: every profile the user tracks, as on the search page.
    profiles = models.ManyToManyField(InstagramProfile, blank=True, related_name="+")
    taken_after = models.DateField(null=True, blank=True)
    taken_before = models.DateField(null=True, blank=True)
    kinds = ArrayField(models.CharField(max_length=16, choices=Post.Kind.choices), default=list, blank=True)
    sort = models.CharField(max_length=16, choices=Sort.choices, default=Sort.RELEVANCE)
    email_digest = models.BooleanField(default=False, help_text="Its new notifications go in the daily e-mail.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SavedSearchQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name_plural = "saved searches"

    def __str__(self):
        return self.name

    def filters(self, *, tracked: set[int] | None = None) -> SearchFilters | None:
        """Its filters for photos_search; given the profiles its owner tracks now, None when none of its own is left."""
        profile_ids = {profile.pk for profile in self.profiles.all()}
        if tracked is not None and profile_ids:
            profile_ids &= tracked
            if not profile_ids:
                return None
        return SearchFilters(
            profile_ids=tuple(sorted(profile_ids)),
            taken_after=self.taken_after,
            taken_before=self.taken_before,
            kinds=tuple(self.kinds),
            sort=self.sort,
        )

    def query_string(self) -> str:
        """The search page's address parameters that run this search again."""
        params = [("q", self.query), *(("profile", profile.username) for profile in self.profiles.all())]
        params += [("after", self.taken_after), ("before", self.taken_before)]
        params += [("kind", kind) for kind in self.kinds] + [("sort", self.sort)]
        return urlencode([(name, value) for name, value in params if value])


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user) -> "NotificationQuerySet":
        """The user's notifications, of photos of profiles they still track and may see (tracked_by: a profile
        that turned private, or whose access was taken back, is gone from them): the only ones they may see."""
        return self.filter(
            saved_search__user=user, photo__post__profile__in=InstagramProfile.objects.tracked_by(user).values("pk")
        )

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """A photo that a saved search matched when it was indexed: once per photo, however often it is indexed again."""

    saved_search = models.ForeignKey(SavedSearch, on_delete=models.CASCADE, related_name="notifications")
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # When the daily digest told its owner; null until then (and for a saved search without the digest).
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["saved_search", "photo"], name="notification_unique_saved_search_photo")
        ]
        indexes = [models.Index(fields=["saved_search", "read_at"], name="notification_search_read")]

    def __str__(self):
        return f"{self.saved_search}: {self.photo}"
