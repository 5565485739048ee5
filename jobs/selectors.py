"""What the pages, the API and the admin read about profiles and jobs, each fact from one place."""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.formats import date_format, number_format, time_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from jobs.models import Job
from profiles.models import (
    InstagramProfile,
    Photo,
    describing_on,
    photos_awaiting_description,
    photos_described,
    photos_searchable,
)

# How many failures the admin's jobs dashboard lists, and over how long it counts them.
DASHBOARD_FAILURES = 10
DASHBOARD_FAILURE_WINDOW = timedelta(hours=24)


class ProfileStatus(models.TextChoices):
    """Where a profile stands; derived from its jobs, never stored."""

    NEW = "new", gettext_lazy("Not synced yet")
    QUEUED = "queued", gettext_lazy("Queued")
    SYNCING = "syncing", gettext_lazy("Syncing")
    IMPORTING = "importing", gettext_lazy("Importing")
    WAITING = "waiting", gettext_lazy("Waiting for Instagram")
    INDEXING = "indexing", gettext_lazy("Indexing")
    DESCRIBING = "describing", gettext_lazy("Describing")
    FAILED = "failed", gettext_lazy("Failed")
    CANCELLED = "cancelled", gettext_lazy("Cancelled")
    READY = "ready", gettext_lazy("Up to date")


ACTIVE_STATUSES = (
    ProfileStatus.QUEUED,
    ProfileStatus.SYNCING,
    ProfileStatus.IMPORTING,
    ProfileStatus.WAITING,
    ProfileStatus.INDEXING,
    ProfileStatus.DESCRIBING,
)


@dataclass(frozen=True)
class PhotoCounts:
    """How far a profile's photos are through the two passes; photos that cannot be read are counted in none."""

    total: int
    searchable: int  # first pass done: found by search
    described: int | None  # second pass done; None when describing is off (no describer, no reader)
    describing: int = 0  # waiting for a second pass that is queued

    @property
    def label(self) -> str:
        """Both passes' progress in words: "Searchable 640/1,000 · Described 120/1,000"."""
        parts = [_("Searchable %(count)s") % {"count": _of(self.searchable, self.total)}]
        if self.described is not None:
            parts.append(_("Described %(count)s") % {"count": _of(self.described, self.total)})
        return " · ".join(parts)


def _of(done: int, total: int) -> str:
    return f"{number_format(done, force_grouping=True)}/{number_format(total, force_grouping=True)}"


@dataclass(frozen=True)
class ProfileState:
    """Where a profile stands, in plain words, for its row in the list, its page, the API and the admin."""

    status: ProfileStatus
    label: str  # "Queued", "Scraping 12/40 posts", "Up to date", "Failed"...
    detail: str = ""  # the reason of a failure, when it was last synced, what indexing said
    photos: PhotoCounts = field(default_factory=lambda: PhotoCounts(0, 0, None))
    progress: tuple[int, int] | None = None  # done, total: what a progress bar shows while a job runs

    @property
    def active(self) -> bool:
        """A job is under way: the page keeps polling."""
        return self.status in ACTIVE_STATUSES

    @property
    def failed(self) -> bool:
        return self.status == ProfileStatus.FAILED


def profile_states(*, profiles) -> dict[int, ProfileState]:
    """The state of each profile, from its jobs and its photos: three queries, whatever the number of profiles."""
    ids = [profile.pk for profile in profiles]
    active: dict[int, list[Job]] = {pk: [] for pk in ids}
    for job in Job.objects.filter(profile__in=ids).active().order_by("created_at"):
        active[job.profile_id].append(job)
    # The latest job of each kind that has ended, per profile (PostgreSQL's DISTINCT ON).
    ended: dict[int, dict[str, Job]] = {pk: {} for pk in ids}
    latest = (
        Job.objects.filter(profile__in=ids)
        .ended()
        .order_by("profile_id", "kind", "-created_at")
        .distinct("profile_id", "kind")
    )
    for job in latest:
        ended[job.profile_id][job.kind] = job
    photos = photo_counts(profile_ids=ids)
    return {p.pk: _state(p, active[p.pk], ended[p.pk], photos[p.pk]) for p in profiles}


def photo_counts(*, profile_ids: list[int]) -> dict[int, PhotoCounts]:
    """Each profile's photos through the first pass (searchable) and the second (described): one query."""
    readable = Q(index_error="")
    counts = {"total": Count("pk", filter=readable), "searchable": Count("pk", filter=readable & photos_searchable())}
    on = describing_on()
    if on:
        counts["described"] = Count("pk", filter=readable & photos_described())
        counts["describing"] = Count("pk", filter=photos_awaiting_description() & Q(describe_queued_at__isnull=False))
    rows = Photo.objects.filter(post__profile__in=profile_ids).values("post__profile_id").annotate(**counts).order_by()
    found = {row.pop("post__profile_id"): row for row in rows}
    none = {"total": 0, "searchable": 0, "described": 0 if on else None}
    return {pk: PhotoCounts(**(none | found.get(pk, {}))) for pk in profile_ids}


def profile_state(profile: InstagramProfile) -> ProfileState:
    return profile_states(profiles=[profile])[profile.pk]


def profiles_with_status(*, status: str, profiles=None) -> list[int]:
    """Ids of the profiles (of a queryset, or all) in this state: for the admin's filter."""
    profiles = list(InstagramProfile.objects.all() if profiles is None else profiles)
    return [pk for pk, state in profile_states(profiles=profiles).items() if state.status == status]


def _state(profile: InstagramProfile, active: list[Job], ended: dict[str, Job], photos: PhotoCounts) -> ProfileState:
    state = _jobs_state(profile, active, ended, photos)
    return ProfileState(state.status, state.label, state.detail, photos, state.progress)


def _jobs_state(profile: InstagramProfile, active: list[Job], ended: dict[str, Job], photos: PhotoCounts):
    fetching = [job for job in active if job.kind in Job.FETCHING]
    indexing = [job for job in active if job.kind == Job.Kind.INDEX]
    if fetching:
        return _fetching_state(fetching[0])
    if indexing:
        # The first pass, which the index jobs count: the photos are searchable once it is done.
        done, total = sum(job.progress_done for job in indexing), sum(job.progress_total or 0 for job in indexing)
        label = _("Indexing %(count)s photos") % {"count": _of(done, total)}
        return ProfileState(ProfileStatus.INDEXING, label, progress=(done, total))
    if photos.describing:
        # Searchable already; the second pass is queued for some (no job row: the photos say it).
        label = _("Describing %(count)s photos") % {"count": _of(photos.described, photos.total)}
        return ProfileState(ProfileStatus.DESCRIBING, label, progress=(photos.described, photos.total))
    fetched = max(
        (job for kind, job in ended.items() if kind in Job.FETCHING), key=lambda job: job.created_at, default=None
    )
    if fetched and fetched.status == Job.Status.FAILED:
        detail = fetched.message or _("The last sync stopped on an error.")
        return ProfileState(ProfileStatus.FAILED, _("Failed"), detail)
    if fetched and fetched.status == Job.Status.CANCELLED:
        return ProfileState(ProfileStatus.CANCELLED, _("Cancelled"), _("Refresh now goes on where it stopped."))
    note = _index_note(ended.get(Job.Kind.INDEX))
    # The demo and profiles imported from a folder have posts without any sync job.
    if fetched or profile.last_synced_at or profile.is_demo:
        when = profile.last_synced_at or (fetched.finished_at if fetched else None)
        since = _("synced %(when)s") % {"when": _when(when)} if when else ""
        return ProfileState(ProfileStatus.READY, _("Up to date"), " · ".join(part for part in (since, note) if part))
    return ProfileState(ProfileStatus.NEW, _("Not synced yet"), note)


def _index_note(index: Job | None) -> str:
    """What the last index job left to say: nothing when it went well; a missing model is a wait, not a failure."""
    if index is None or index.status != Job.Status.FAILED:
        return ""
    if index.waits_for_models:
        return _("Photos wait for the models to be installed")
    return _("Photos not indexed: %(reason)s") % {"reason": index.message}


def _when(moment) -> str:
    """A moment in the site's time zone, in the words and order of the page's language."""
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _fetching_state(job: Job) -> ProfileState:
    if job.status == Job.Status.QUEUED:
        return ProfileState(ProfileStatus.QUEUED, _("Queued"))
    if job.status == Job.Status.WAITING:
        # The job says why it waits: Instagram asked, or the network failed us.
        if job.message:
            return ProfileState(ProfileStatus.WAITING, job.message)
        if job.wait_until:
            until = time_format(timezone.localtime(job.wait_until), "H:i")
            return ProfileState(ProfileStatus.WAITING, _("Waiting for Instagram until %(time)s") % {"time": until})
        return ProfileState(ProfileStatus.WAITING, _("Waiting for Instagram"))
    done, total = job.progress_done, job.progress_total
    count = _of(done, total) if total else number_format(done, force_grouping=True)
    progress = (done, total) if total else None
    if job.kind == Job.Kind.SYNC:
        label = ngettext("Scraping %(count)s post", "Scraping %(count)s posts", total or done) % {"count": count}
        return ProfileState(ProfileStatus.SYNCING, label, progress=progress)
    label = ngettext("Importing %(count)s post", "Importing %(count)s posts", total or done) % {"count": count}
    return ProfileState(ProfileStatus.IMPORTING, label, progress=progress)


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
