"""Saved searches (save, rename, delete) and their notifications (list, mark read): what pages, API and tasks call."""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alerts.models import MAX_NAME_LENGTH, Notification, SavedSearch
from search.services import clean_query, photos_scope
from search.types import SearchError, SearchFilters

MAX_SAVED_SEARCHES = 100


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if len(name) > MAX_NAME_LENGTH:
        raise SearchError(_("Keep the name under %(count)d characters.") % {"count": MAX_NAME_LENGTH})
    return name


def saved_search_create(
    *, user, query: str, filters: SearchFilters | None = None, name: str = "", email_digest: bool = False
) -> SavedSearch:
    """Save a search under a name (the query itself when none is given); SearchError says what is wrong."""
    query = clean_query(query)
    filters = filters or SearchFilters()
    photos_scope(user=user, filters=filters)  # refuses a profile the user does not track
    if filters.taken_after and filters.taken_before and filters.taken_after > filters.taken_before:
        raise SearchError(_("The end of the date range is before its start."))
    name = _clean_name(name) or query[:MAX_NAME_LENGTH]
    if user.saved_searches.count() >= MAX_SAVED_SEARCHES:
        full = _("You have %(count)d saved searches: delete one before saving another.")
        raise SearchError(full % {"count": MAX_SAVED_SEARCHES})
    with transaction.atomic():
        saved = SavedSearch.objects.create(
            user=user,
            name=name,
            query=query,
            taken_after=filters.taken_after,
            taken_before=filters.taken_before,
            kinds=list(filters.kinds),
            sort=filters.sort,
            email_digest=email_digest,
        )
        saved.profiles.set(filters.profile_ids)
    return saved


def saved_search_update(*, saved_search: SavedSearch, name: str, email_digest: bool) -> SavedSearch:
    """Rename a saved search and turn its daily e-mail on or off."""
    name = _clean_name(name)
    if not name:
        raise SearchError(_("Give the saved search a name."))
    saved_search.name, saved_search.email_digest = name, email_digest
    saved_search.save(update_fields=["name", "email_digest"])
    return saved_search


def saved_search_delete(*, saved_search: SavedSearch) -> None:
    """Delete a saved search and its notifications."""
    saved_search.delete()


@dataclass
class NotificationGroup:
    saved_search: SavedSearch
    notifications: list[Notification] = field(default_factory=list)

    @property
    def unread(self) -> int:
        return sum(1 for notification in self.notifications if notification.read_at is None)


def notifications_grouped(*, user, limit: int = 500) -> list[NotificationGroup]:
    """The user's latest notifications, newest first, grouped per saved search (the groups by their newest)."""
    groups: dict[int, NotificationGroup] = {}
    found = Notification.objects.for_user(user).select_related("saved_search", "photo__post__profile")
    for notification in found[:limit]:
        saved = notification.saved_search
        groups.setdefault(saved.pk, NotificationGroup(saved)).notifications.append(notification)
    return list(groups.values())


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the user's unread notifications read (only these ids, when given); returns how many changed."""
    unread = Notification.objects.filter(saved_search__user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
