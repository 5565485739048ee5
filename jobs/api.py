"""The API's router for the profiles a user tracks and their jobs (mounted on photosearch/api.py).

Here, not in profiles: a profile's state is derived from its jobs, which sit above profiles.
"""

from datetime import datetime

from django.db.models import Q
from ninja import Field, Router, Schema

from core.api import REFUSALS
from jobs.models import Job
from jobs.selectors import ProfileStatus, profile_states
from profiles.models import InstagramProfile

router = Router(tags=["profiles"])


class ProfileOut(Schema):
    username: str
    full_name: str
    status: ProfileStatus = Field(description="Where the profile stands, as its page says it")
    status_label: str = Field(description="The state in words, as its page shows it: 'Scraping 12/40 posts'")
    status_message: str = Field(description="Why it failed, when it was synced, what indexing said")
    last_synced_at: datetime | None
    posts: int
    photos: int = Field(description="Its stored photos that can be read")
    searchable_photos: int = Field(description="Of those, how many search finds (image and text vectors made)")
    described_photos: int | None = Field(
        description="Of those, how many are described and read too (null when describing is turned off)"
    )


class JobOut(Schema):
    id: int
    kind: str
    status: str
    profile: str | None
    progress_done: int
    progress_total: int | None
    message: str
    created_at: datetime
    finished_at: datetime | None


@router.get("/profiles", response={200: list[ProfileOut], **REFUSALS})
def profiles(request):
    """The profiles you track, with their state."""
    tracked = list(InstagramProfile.objects.tracked_by(request.auth).with_stored_posts())
    states = profile_states(profiles=tracked)
    return [
        {
            "username": p.username,
            "full_name": p.full_name,
            "status": states[p.pk].status,
            "status_label": states[p.pk].label,
            "status_message": states[p.pk].detail,
            "last_synced_at": p.last_synced_at,
            "posts": p.stored_posts,
            "photos": states[p.pk].photos.total,
            "searchable_photos": states[p.pk].photos.searchable,
            "described_photos": states[p.pk].photos.described,
        }
        for p in tracked
    ]


@router.get("/jobs", response={200: list[JobOut], **REFUSALS})
def jobs(request, active: bool = False):
    """The latest jobs on the profiles you track or that you asked for (active: only those not ended)."""
    user = request.auth
    found = Job.objects.filter(Q(profile__in=InstagramProfile.objects.tracked_by(user)) | Q(requested_by=user))
    if active:
        found = found.active()
    return [
        {
            "id": job.pk,
            "kind": job.kind,
            "status": job.status,
            "profile": job.profile.username if job.profile else None,
            "progress_done": job.progress_done,
            "progress_total": job.progress_total,
            "message": job.message,
            "created_at": job.created_at,
            "finished_at": job.finished_at,
        }
        for job in found.select_related("profile").order_by("-created_at")[:50]
    ]
