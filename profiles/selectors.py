from django.db.models import Count, QuerySet

from profiles.models import InstagramProfile


def profiles_tracked_by(*, user) -> QuerySet[InstagramProfile]:
    """The profiles a user tracks, with how many posts of each are stored, in username order."""
    return InstagramProfile.objects.filter(trackings__user=user).annotate(stored_posts=Count("posts"))
