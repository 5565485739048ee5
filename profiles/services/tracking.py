"""Who tracks which profile: the names people type, and the refusal of a private profile."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from profiles.models import InstagramProfile, Tracking, validate_instagram_username

_PROFILE_URL = re.compile(r"^(?:https?://)?(?:www\.|m\.)?instagram\.com/(?P<name>[^/?#]+)/?(?:[?#].*)?$", re.IGNORECASE)
# Instagram's own first path segments: a link starting with one is not a profile's.
_NOT_PROFILES = {"p", "reel", "reels", "tv", "stories", "explore", "accounts", "direct", "about", "legal"}


def username_parse(*, text: str) -> str:
    """The username in `natgeotravel`, `@natgeotravel` or a profile's link, lower-cased; ValidationError if none."""
    text = text.strip()
    if match := _PROFILE_URL.match(text):
        text = match["name"]
        if text.lower() in _NOT_PROFILES:
            raise ValidationError(_("This is a link to Instagram, but not to a profile."))
    elif "/" in text:
        raise ValidationError(_("This is not a link to an Instagram profile."))
    text = text.removeprefix("@")
    validate_instagram_username(text)
    return text.lower()


def private_refusal(username: str) -> str:
    refusal = _(
        "@%(username)s is a private profile: only the people a staff member allows can track it. "
        "Ask an admin to allow you."
    )
    return refusal % {"username": username}


def profile_untrack(*, user, profile: InstagramProfile) -> bool:
    """Stop `user` tracking the profile; the profile and its posts stay (others may track it). False if not tracked."""
    deleted, _ = Tracking.objects.filter(user=user, profile=profile).delete()
    return deleted > 0
