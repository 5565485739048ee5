from django.utils.functional import SimpleLazyObject

from alerts.models import Notification


def unread_notifications(request):
    """`unread_notifications` for the header: one count query, only for a signed-in user, only if a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: Notification.objects.for_user(user).unread().count())}
