"""Sync jobs: a profile's posts fetched from Instagram (only those newer than the ones stored, resumable
after any stop), and the syncs users and beat ask for (a profile tracked, "Refresh now", the periodic refresh)."""

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from jobs.models import Job
from jobs.runner import job_send_on_commit
from jobs.selectors import ProfileStatus, profile_state
from jobs.services.jobs import JobRefused
from profiles import instagram
from profiles.models import InstagramProfile, Photo, Tracking
from profiles.services.ingest import INDEX_BATCHES_PER_JOB, IngestResult, PostNotStored, post_ingest, profile_update
from profiles.services.tracking import private_refusal, username_parse
from profiles.signals import photos_stored

# The first posts of a profile may be pinned ones, older than the newest: never stop on them.
PINNED_POSTS = 3
ONE_ACTIVE_SYNC = "job_one_active_sync_per_profile"


def profile_sync_queue(*, profile: InstagramProfile, requested_by=None, retry_of: Job | None = None) -> Job | None:
    """A sync job for the profile, queued after commit; None if one is already queued or running."""
    from jobs.tasks import run_sync_job  # the tasks module imports this one

    if profile.is_demo:
        return None  # it is not on Instagram: its posts come from the repository
    try:
        with transaction.atomic():
            job = Job.objects.create(kind=Job.Kind.SYNC, profile=profile, requested_by=requested_by, retry_of=retry_of)
    except IntegrityError as exc:
        # The database holds one active sync per profile: two users adding it at once get one between them.
        if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "") == ONE_ACTIVE_SYNC:
            return None
        raise
    job_send_on_commit(run_sync_job, (job.pk,))
    return job


def profile_track(*, user, text: str) -> tuple[InstagramProfile, Job | None]:
    """Have `user` track the profile named in `text`, and queue its first sync unless one is under way.

    ValidationError for a private profile the user is not allowed to see (staff allow users in the admin).
    """
    username = username_parse(text=text)
    with transaction.atomic():
        profile, _ = InstagramProfile.objects.get_or_create(username=username)
        if not profile.allows(user):
            raise ValidationError(private_refusal(username))
        _tracking_limit_check(user=user, profile=profile)
        Tracking.objects.get_or_create(user=user, profile=profile)
        # A profile already up to date is refreshed by beat; any other (new, failed, stuck) is synced now.
        ready = profile_state(profile).status == ProfileStatus.READY
        job = None if ready else profile_sync_queue(profile=profile, requested_by=user)
    return profile, job


def _tracking_limit_check(*, user, profile: InstagramProfile) -> None:
    """ValidationError when the user tracks TRACKED_PROFILES_PER_USER profiles already (and not this one)."""
    # The user's row is the lock: two adds at once cannot both take the last place.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    tracked = Tracking.objects.filter(user=user)
    limit = settings.TRACKED_PROFILES_PER_USER
    if tracked.count() >= limit and not tracked.filter(profile=profile).exists():
        raise ValidationError(
            _("You track %(limit)d profiles, the most one account may: stop tracking one to add another.")
            % {"limit": limit}
        )


def profile_sync_request(*, profile: InstagramProfile, requested_by) -> Job:
    """A sync a user asked for ("Refresh now"); JobRefused while one runs, or within the cooldown of the last."""
    if profile.is_demo:
        demo = _("@%(username)s is the demo profile: it is not on Instagram, there is nothing to refresh.")
        raise JobRefused(demo % {"username": profile.username})
    with transaction.atomic():
        InstagramProfile.objects.select_for_update().filter(pk=profile.pk).first()
        last = profile.jobs.of_kind(Job.Kind.SYNC).order_by("-created_at").first()
        if last and last.is_active:
            raise JobRefused(_("@%(username)s is being synced already.") % {"username": profile.username})
        next_allowed = last.created_at + timedelta(minutes=settings.PROFILE_REFRESH_COOLDOWN_MINUTES) if last else None
        if next_allowed and next_allowed > timezone.now():
            cooldown = _("The last sync of @%(username)s began at %(began)s; it can be refreshed again from %(next)s.")
            began, then = (f"{timezone.localtime(moment):%H:%M}" for moment in (last.created_at, next_allowed))
            raise JobRefused(cooldown % {"username": profile.username, "began": began, "next": then})
        return profile_sync_queue(profile=profile, requested_by=requested_by)


def profiles_sync_tracked() -> list[Job]:
    """Queue a sync of every profile someone tracks (beat runs this); untracked ones are left alone."""
    profiles = InstagramProfile.objects.filter(trackings__isnull=False, is_demo=False)
    # A private profile nobody may see is not fetched (profile_sync would refuse it anyway).
    profiles = profiles.filter(Q(is_private=False) | Q(private_accesses__isnull=False)).distinct()
    with transaction.atomic():
        return [job for profile in profiles if (job := profile_sync_queue(profile=profile))]


def profile_sync(*, job: Job) -> None:
    """Fetch the job's profile and its posts newer than those stored, resuming an interrupted sync.

    Raises instagram.InstagramWait when Instagram asks us to wait (the task turns it into a retry) and
    instagram.InstagramError when it refuses for good; everything stored before either is kept.
    """
    profile = job.profile
    feed = instagram.PostFeed(profile.username, resume_from=(profile.sync_cursor or {}).get("iterator"))
    profile_update(profile=profile, data=feed.profile)
    if profile.is_private and not profile.private_accesses.exists():
        # Nothing of a private profile is fetched until a staff member has allowed someone to see it.
        raise instagram.ProfileUnavailable(
            f"@{profile.username} is private: its posts are fetched only once a staff member allows someone to see it."
        )
    progress = _SyncProgress.of(profile)
    # Only a first sync knows how many posts there are to fetch; a refresh does not until it stops.
    job.report_progress(progress.done, profile.post_count if progress.stop_at is None else None)
    try:
        for index, data in enumerate(feed, start=feed.start_index):
            if progress.reached(data):
                if index < PINNED_POSTS:
                    continue
                break
            with transaction.atomic():
                try:
                    downloader = _Downloader(data)
                    result = post_ingest(
                        profile=profile, data=data, fetch=downloader.fetch, fetch_video=downloader.fetch_video
                    )
                    progress.add(result)
                except PostNotStored as exc:
                    progress.skip(data.shortcode, str(exc))  # that post alone: the next one may fit
                if len(progress.pending) >= settings.INDEX_BATCH_SIZE * INDEX_BATCHES_PER_JOB:
                    progress.index_pending(profile)  # indexing starts while the sync goes on
                # Saved with the post it follows: a worker killed now resumes after this post, not before.
                progress.save(profile, iterator=feed.freeze())
            if not job.report_progress(progress.done):
                progress.index_pending(profile)
                return  # cancelled: the cursor lets the next sync go on from here
    except instagram.InstagramWait:
        progress.index_pending(profile)  # what is stored is indexed meanwhile
        raise
    progress.index_pending(profile)
    profile.sync_cursor, profile.last_synced_at = None, timezone.now()
    profile.save(update_fields=["sync_cursor", "last_synced_at"])
    job.finish(progress.summary())


def profile_sync_wait(*, job: Job, wait: instagram.InstagramWait, seconds: int) -> None:
    """Park the sync for `seconds`, saying why (Instagram asked, or the network failed) and until when."""
    until = timezone.localtime(timezone.now() + timedelta(seconds=seconds))
    if isinstance(wait, instagram.InstagramUnreachable):
        message = f"{str(wait).rstrip('.')}; next try at {until:%H:%M}."
    else:
        message = f"Waiting for Instagram until {until:%H:%M}"
    job.wait(until, message)


@dataclass
class _SyncProgress:
    """Where a sync stands; kept in profile.sync_cursor, beside instaloader's iterator, after every post."""

    stop_at: str | None  # the newest post stored when the sync began: the boundary of "new"
    done: int = 0  # posts gone through (the one re-read after a resume counts twice)
    new_posts: int = 0
    pending: list[int] = field(default_factory=list)  # new photos not handed to the indexer yet
    problems: list[str] = field(default_factory=list)
    not_stored: list[str] = field(default_factory=list)  # posts the storage could not take, and why

    @classmethod
    def of(cls, profile: InstagramProfile) -> "_SyncProgress":
        if cursor := profile.sync_cursor:
            # Even when instaloader's state is stale (it keeps 29 days), the sync keeps its first boundary:
            # it walks past the posts it stored already (no download) rather than stopping on them.
            return cls(**{name: cursor[name] for name in cls.__dataclass_fields__ if name in cursor})
        newest = profile.posts.aggregate(newest=Max("taken_at"))["newest"]
        return cls(stop_at=newest.isoformat() if newest else None)

    def reached(self, data: instagram.PostData) -> bool:
        """Whether this post is no newer than the boundary (where a sync stops, pinned posts aside)."""
        return self.stop_at is not None and data.taken_at <= datetime.fromisoformat(self.stop_at)

    def add(self, result: IngestResult) -> None:
        self.done += 1
        self.new_posts += result.created
        self.pending += result.new_photo_ids
        self.problems += [f"{result.post.shortcode} image {n}: {why}" for n, why in result.refused.items()]
        if result.video_refused:
            self.problems.append(f"{result.post.shortcode} video: {result.video_refused}")

    def skip(self, shortcode: str, why: str) -> None:
        """A post gone through but not stored."""
        self.done += 1
        self.not_stored.append(f"{shortcode}: {why}")

    def save(self, profile: InstagramProfile, iterator: dict | None = None) -> None:
        iterator = iterator or (profile.sync_cursor or {}).get("iterator")
        profile.sync_cursor = {"iterator": iterator, **asdict(self)}
        profile.save(update_fields=["sync_cursor"])

    def index_pending(self, profile: InstagramProfile) -> None:
        """Hand the pending photos to the indexer; the cursor forgets them so they are not sent twice."""
        if self.pending:
            photos_stored.send(sender=Job, profile=profile, photos=Photo.objects.filter(pk__in=self.pending))
            self.pending = []
            if profile.sync_cursor:
                self.save(profile)

    def summary(self) -> str:
        """What the job's row says when it ends, in the site's language (LANGUAGE_CODE: it is stored)."""
        text = ngettext("%(count)d new post.", "%(count)d new posts.", self.new_posts) % {"count": self.new_posts}
        if self.problems:
            count = len(self.problems)
            skipped = ngettext("%(count)d image skipped:", "%(count)d images skipped:", count) % {"count": count}
            text += f" {skipped} " + "; ".join(self.problems)
        if self.not_stored:
            count = len(self.not_stored)
            lost = ngettext("%(count)d post not stored:", "%(count)d posts not stored:", count) % {"count": count}
            text += f" {lost} " + "; ".join(self.not_stored)
        return text[:500]


class _Downloader:
    """Fetches a post's images and video; an expired link refetches the post's metadata once for fresh links."""

    def __init__(self, data: instagram.PostData):
        self.data, self.refreshed = data, False

    def fetch(self, position: int) -> bytes:
        try:
            return instagram.image_download(self.data.images[position - 1].url)
        except instagram.ImageExpired as expired:
            self._refresh(expired)
            if position > len(self.data.images):
                raise instagram.ImageUnavailable("the image is no longer in the post") from None
            return instagram.image_download(self.data.images[position - 1].url)

    def fetch_video(self) -> bytes:
        if not self.data.video_url:
            raise instagram.ImageUnavailable("Instagram gave no link to this video")
        try:
            return instagram.video_download(self.data.video_url)
        except instagram.ImageExpired as expired:
            self._refresh(expired)
            return instagram.video_download(self.data.video_url)

    def _refresh(self, expired: instagram.ImageExpired) -> None:
        """The post's metadata fetched again, once, for fresh links; `expired` raised on a second expiry."""
        if self.refreshed:
            raise expired
        self.refreshed = True
        try:
            self.data = instagram.post_fetch(self.data.shortcode)
        except instagram.ProfileUnavailable:
            raise instagram.ImageUnavailable("the post is no longer on Instagram") from None
