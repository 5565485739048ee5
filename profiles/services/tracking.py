"""Who tracks which profile, and the syncs users (and beat) ask for."""

import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from profiles.models import InstagramProfile, Job, Tracking, validate_instagram_username
from profiles.selectors import ProfileStatus, profile_state
from profiles.services.jobs import JobRefused
from profiles.services.sync import profile_sync_queue

_PROFILE_URL = re.compile(r"^(?:https?://)?(?:www\.|m\.)?instagram\.com/(?P<name>[^/?#]+)/?(?:[?#].*)?$", re.IGNORECASE)
# Instagram's own first path segments: a link starting with one is not a profile's.
_NOT_PROFILES = {"p", "reel", "reels", "tv", "stories", "explore", "accounts", "direct", "about", "legal"}


def username_parse(*, text: str) -> str:
    """The username in `natgeotravel`, `@natgeotravel` or a profile's link, lower-cased; ValidationError if none."""
    text = text.strip()
    if match := _PROFILE_URL.match(text):
        text = match["name"]
        if text.lower() in _NOT_PROFILES:
            raise ValidationError("This is a link to Instagram, but not to a profile.")
    elif "/" in text:
        raise ValidationError("This is not a link to an Instagram profile.")
    text = text.removeprefix("@")
    validate_instagram_username(text)
    return text.lower()


def private_refusal(username: str) -> str:
    return (
        f"@{username} is a private profile: only the people a staff member allows can track it. "
        "Ask an admin to allow you."
    )


def profile_track(*, user, text: str) -> tuple[InstagramProfile, Job | None]:
    """Have `user` track the profile named in `text`, and queue its first sync unless one is under way.

    ValidationError for a private profile the user is not allowed to see (staff allow users in the admin).
    """
    username = username_parse(text=text)
    with transaction.atomic():
        profile, _ = InstagramProfile.objects.get_or_create(username=username)
        if not profile.allows(user):
            raise ValidationError(private_refusal(username))
        Tracking.objects.get_or_create(user=user, profile=profile)
        # A profile already up to date is refreshed by beat; any other (new, failed, stuck) is synced now.
        ready = profile_state(profile).status == ProfileStatus.READY
        job = None if ready else profile_sync_queue(profile=profile, requested_by=user)
    return profile, job


def profile_untrack(*, user, profile: InstagramProfile) -> bool:
    """Stop `user` tracking the profile; the profile and its posts stay (others may track it). False if not tracked."""
    deleted, _ = Tracking.objects.filter(user=user, profile=profile).delete()
    return deleted > 0


def profile_sync_request(*, profile: InstagramProfile, requested_by) -> Job:
    """A sync a user asked for ("Refresh now"); JobRefused while one runs, or within the cooldown of the last."""
    if profile.is_demo:
        raise JobRefused(
            f"@{profile.username} is the demo profile: it is not on Instagram, there is nothing to refresh."
        )
    with transaction.atomic():
        InstagramProfile.objects.select_for_update().filter(pk=profile.pk).first()
        last = profile.jobs.of_kind(Job.Kind.SYNC).order_by("-created_at").first()
        if last and last.is_active:
            raise JobRefused(f"@{profile.username} is being synced already.")
        next_allowed = last.created_at + timedelta(minutes=settings.PROFILE_REFRESH_COOLDOWN_MINUTES) if last else None
        if next_allowed and next_allowed > timezone.now():
            raise JobRefused(
                f"The last sync of @{profile.username} began at {timezone.localtime(last.created_at):%H:%M}; "
                f"it can be refreshed again from {timezone.localtime(next_allowed):%H:%M}."
            )
        return profile_sync_queue(profile=profile, requested_by=requested_by)


def profiles_sync_tracked() -> list[Job]:
    """Queue a sync of every profile someone tracks (beat runs this); untracked ones are left alone."""
    profiles = InstagramProfile.objects.filter(trackings__isnull=False, is_demo=False)
    # A private profile nobody may see is not fetched (profile_sync would refuse it anyway).
    profiles = profiles.filter(Q(is_private=False) | Q(private_accesses__isnull=False)).distinct()
    with transaction.atomic():
        return [job for profile in profiles if (job := profile_sync_queue(profile=profile))]
