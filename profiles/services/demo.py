"""The demo profile: free-licensed photographs shipped in the repository, so there is something to search."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.utils import timezone

from profiles import folders
from profiles.models import InstagramProfile, Tracking
from profiles.services.imports import ImportReport, folder_import

# The demo profile's instaloader folder, shipped in the repository (credits and licences beside it).
DEMO_FOLDER = Path(__file__).parent.parent / "demo" / "photosearch_demo"


def demo_load(*, path: Path = DEMO_FOLDER) -> tuple[InstagramProfile, ImportReport]:
    """Import the demo folder (as any instaloader folder); idempotent.

    On its first load every account tracks it; accounts made later track it from their sign-up on
    (profiles.receivers). One who stops tracking it is never made to track it again, by a reload either.
    """
    report = folder_import(path=path)
    profile = InstagramProfile.objects.get(username=folders.folder_profile(Path(path)).username)
    first_load = not profile.is_demo
    profile.is_demo = True
    profile.last_synced_at = profile.last_synced_at or timezone.now()
    profile.save(update_fields=["is_demo", "last_synced_at"])
    if first_load:
        users = get_user_model().objects.filter(is_active=True)
        Tracking.objects.bulk_create([Tracking(user=user, profile=profile) for user in users], ignore_conflicts=True)
    return profile, report
