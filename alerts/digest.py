"""The daily e-mail: one per user, listing the unread notifications of their saved searches that asked for it."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from accounts.models import Preferences
from alerts.models import Notification


def notifications_to_email(user):
    """The user's unread notifications not e-mailed yet, of saved searches with the digest on."""
    return Notification.objects.for_user(user).unread().filter(emailed_at__isnull=True, saved_search__email_digest=True)


def users_with_digest() -> list[int]:
    """Ids of the active users (with an e-mail address) that a digest may tell something; digest_send decides."""
    users = (
        get_user_model()
        .objects.exclude(email="")
        .filter(is_active=True)
        .filter(
            saved_searches__email_digest=True,
            saved_searches__notifications__read_at__isnull=True,
            saved_searches__notifications__emailed_at__isnull=True,
        )
    )
    return list(users.distinct().order_by("pk").values_list("pk", flat=True))


def digest_send(*, user_id: int) -> int:
    """E-mail one user the notifications they were not told of yet; returns how many it listed (0: no e-mail).

    The notifications are marked as e-mailed, and that committed, before the mail goes: two runs at
    once, or a run after one that died mid-way, can never send them twice. A send that fails unmarks
    them for the next digest (and raises); should even that fail, they are told of on the page alone.
    A deactivated account gets no mail.
    """
    user = get_user_model().objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        return 0
    marked_at = timezone.now()
    with transaction.atomic():
        pending = list(
            notifications_to_email(user)
            .select_for_update(of=("self",), skip_locked=True)
            .select_related("saved_search", "photo__post__profile")
            .order_by("saved_search__name", "saved_search_id", "-created_at")
        )
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=marked_at)
    if not pending:
        return 0
    try:
        _digest_mail(user, pending)
    except Exception:
        Notification.objects.filter(pk__in=[n.pk for n in pending], emailed_at=marked_at).update(emailed_at=None)
        raise
    return len(pending)


def _digest_mail(user, pending: list[Notification]) -> None:
    groups: dict[int, tuple] = {}
    for notification in pending:
        groups.setdefault(notification.saved_search_id, (notification.saved_search, []))[1].append(notification)
    site = settings.SITE_URL.rstrip("/")
    context = {
        "user": user,
        "count": len(pending),
        "groups": [
            (saved, [(n, site + reverse("photo_detail", args=[n.photo_id])) for n in found])
            for saved, found in groups.values()
        ],
        "notifications_url": site + reverse("notifications"),
        "saved_searches_url": site + reverse("saved_searches"),
    }
    # In the language the person chose on the site; the site's own when they never chose one.
    language = Preferences.objects.filter(user=user).values_list("language", flat=True).first()
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = ngettext(
            "photosearch: %(count)d new photo for your saved searches",
            "photosearch: %(count)d new photos for your saved searches",
            len(pending),
        ) % {"count": len(pending)}
        body = render_to_string("alerts/digest_email.txt", context)
    send_mail(subject, body, None, [user.email])
