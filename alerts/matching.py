"""New photos against saved searches: each saved search runs, restricted to a batch of photos just indexed.

    index batch done (search.tasks.index_photos) --> notify_saved_searches(photo ids), on commit
    --> each saved search whose owner tracks one of those photos' profiles
    --> search_candidates over just those photos (and only those stored after it was saved)
    --> ranking's relevance floor (an exact term, or a signal above its model's bar): what its search would show
    --> one notification per post, at most once per photo (a unique constraint)

No scoring of its own: a notification is a photo the saved search would list on the search page.
"""

from alerts.models import Notification, SavedSearch
from profiles.models import InstagramProfile, Photo
from search import query as query_module
from search.scoring import rank
from search.services import current_weights, photos_scope, search_candidates


def photos_notify(*, photo_ids: list[int]) -> int:
    """Notify each saved search of the photos among these that it matches; returns how many notifications are new.

    Running it again on the same photos adds nothing.
    """
    profile_ids = set(Photo.objects.filter(pk__in=photo_ids).values_list("post__profile_id", flat=True))
    if not profile_ids:
        return 0
    searches = (
        SavedSearch.objects.filter(user__trackings__profile_id__in=profile_ids)
        .distinct()
        .select_related("user")
        .prefetch_related("profiles")
    )
    before = Notification.objects.filter(photo_id__in=photo_ids).count()
    for saved in searches:
        matched = saved_search_matches(saved_search=saved, photo_ids=photo_ids)
        notifications = [Notification(saved_search=saved, photo_id=photo_id) for photo_id in matched]
        Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    return Notification.objects.filter(photo_id__in=photo_ids).count() - before


def saved_search_matches(*, saved_search: SavedSearch, photo_ids: list[int]) -> list[int]:
    """The photos among these (stored after the search was saved) that it matches, the best one of each post,
    leaving out posts it was already notified of."""
    user = saved_search.user
    filters = saved_search.filters(tracked=set(InstagramProfile.objects.tracked_by(user).values_list("pk", flat=True)))
    if filters is None:  # its profiles are no longer tracked
        return []
    already = saved_search.notifications.values("photo__post_id")
    scope = (
        photos_scope(user=user, filters=filters)
        .filter(pk__in=photo_ids, post__created_at__gte=saved_search.created_at)
        .exclude(post_id__in=already)
    )
    vectors = query_module.query_vectors(saved_search.query)
    candidates = search_candidates(scope=scope, query=saved_search.query, vectors=vectors)
    best_per_post = {}
    for candidate in rank(candidates, current_weights(vectors)):
        best_per_post.setdefault(candidate.post_id, candidate.photo_id)
    return sorted(best_per_post.values())
