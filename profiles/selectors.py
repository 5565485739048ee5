from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from profiles.models import InstagramProfile, Job

# How many failures the admin's jobs dashboard lists, and over how long it counts them.
DASHBOARD_FAILURES = 10
DASHBOARD_FAILURE_WINDOW = timedelta(hours=24)


def profiles_tracked_by(*, user) -> QuerySet[InstagramProfile]:
    """The profiles a user tracks, with how many posts of each are stored, in username order."""
    return InstagramProfile.objects.filter(trackings__user=user).annotate(stored_posts=Count("posts"))


@dataclass
class ProfileState:
    """Where a profile stands, in plain words, for its row in the list and its page."""

    label: str  # "Queued", "Scraping 12/40 posts", "Up to date", "Failed"...
    detail: str = ""  # the reason of a failure, when it was last synced, what indexing said
    active: bool = False  # a job is under way: the page keeps polling
    failed: bool = False


def profile_states(*, profiles) -> dict[int, ProfileState]:
    """The state of each profile, from its jobs: two queries, whatever the number of profiles."""
    ids = [profile.pk for profile in profiles]
    active: dict[int, list[Job]] = {pk: [] for pk in ids}
    for job in Job.objects.filter(profile__in=ids, status__in=Job.ACTIVE).order_by("created_at"):
        active[job.profile_id].append(job)
    # The latest job of each kind that has ended, per profile (PostgreSQL's DISTINCT ON).
    ended: dict[int, dict[str, Job]] = {pk: {} for pk in ids}
    latest = (
        Job.objects.filter(profile__in=ids)
        .exclude(status__in=Job.ACTIVE)
        .order_by("profile_id", "kind", "-created_at")
        .distinct("profile_id", "kind")
    )
    for job in latest:
        ended[job.profile_id][job.kind] = job
    return {profile.pk: _state(profile, active[profile.pk], ended[profile.pk]) for profile in profiles}


def _state(profile: InstagramProfile, active: list[Job], ended: dict[str, Job]) -> ProfileState:
    fetching = [job for job in active if job.kind in (Job.Kind.SYNC, Job.Kind.IMPORT)]
    indexing = [job for job in active if job.kind == Job.Kind.INDEX]
    if fetching:
        return _fetching_state(fetching[0])
    if indexing:
        done, total = sum(job.progress_done for job in indexing), sum(job.progress_total or 0 for job in indexing)
        return ProfileState(f"Indexing {done}/{total} photos", active=True)
    fetched = max(
        (job for kind, job in ended.items() if kind != Job.Kind.INDEX), key=lambda job: job.created_at, default=None
    )
    if fetched and fetched.status == Job.Status.FAILED:
        return ProfileState("Failed", fetched.message or "The last sync stopped on an error.", failed=True)
    if fetched and fetched.status == Job.Status.CANCELLED:
        return ProfileState("Cancelled", "Refresh now goes on where it stopped.")
    index = ended.get(Job.Kind.INDEX)
    note = f"Photos not indexed: {index.message}" if index and index.status == Job.Status.FAILED else ""
    if profile.status == InstagramProfile.Status.READY:
        when = profile.last_synced_at or (fetched.finished_at if fetched else None)
        since = f"synced {timezone.localtime(when):%d %b %Y, %H:%M}" if when else ""
        return ProfileState("Up to date", " · ".join(part for part in (since, note) if part))
    if profile.status == InstagramProfile.Status.FAILED:
        return ProfileState("Failed", profile.status_message, failed=True)
    return ProfileState("Not synced yet", note)


def _fetching_state(job: Job) -> ProfileState:
    if job.status == Job.Status.QUEUED:
        return ProfileState("Queued", active=True)
    if job.status == Job.Status.WAITING:
        until = f" until {timezone.localtime(job.wait_until):%H:%M}" if job.wait_until else ""
        return ProfileState(f"Waiting for Instagram{until}", active=True)
    verb = "Scraping" if job.kind == Job.Kind.SYNC else "Importing"
    count = f"{job.progress_done}/{job.progress_total}" if job.progress_total else f"{job.progress_done}"
    return ProfileState(f"{verb} {count} posts", active=True)


def jobs_dashboard() -> dict:
    """Per queue, how many jobs are queued, running, waiting, and failed lately; and the latest failures."""
    since = timezone.now() - DASHBOARD_FAILURE_WINDOW
    shown = (*Job.ACTIVE, Job.Status.FAILED)
    queues = {queue: dict.fromkeys(shown, 0) for queue in sorted(set(Job.QUEUES.values()))}
    rows = (
        Job.objects.filter(Q(status__in=Job.ACTIVE) | Q(status=Job.Status.FAILED, finished_at__gte=since))
        .values_list("kind", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for kind, status, count in rows:
        queues[Job.QUEUES[kind]][status] += count
    failures = Job.objects.filter(status=Job.Status.FAILED).select_related("profile").order_by("-finished_at")
    return {"queues": queues, "failures": failures[:DASHBOARD_FAILURES], "window_hours": 24}
