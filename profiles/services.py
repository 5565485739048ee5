"""What photosearch does with profiles, posts and photos. Views, tasks, commands and the admin call these."""

import logging
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from profiles import folders, instagram
from profiles.images import ImageRefused, image_check
from profiles.models import InstagramProfile, InstagramSession, Job, Photo, Post, Tracking, validate_instagram_username
from search.indexing import photos_enqueue, photos_up_to_date

logger = logging.getLogger(__name__)

# The first posts of a profile may be pinned ones, older than the newest: never stop on them.
PINNED_POSTS = 3
# How many batches of new photos a sync gathers before handing them to the indexer.
INDEX_BATCHES_PER_JOB = 4
_PROFILE_URL = re.compile(r"^(?:https?://)?(?:www\.|m\.)?instagram\.com/(?P<name>[^/?#]+)/?(?:[?#].*)?$", re.IGNORECASE)
# Instagram's own first path segments: a link starting with one is not a profile's.
_NOT_PROFILES = {"p", "reel", "reels", "tv", "stories", "explore", "accounts", "direct", "about", "legal"}
# The demo profile's instaloader folder, shipped in the repository (credits and licences beside it).
DEMO_FOLDER = Path(__file__).parent / "demo" / "photosearch_demo"


class JobRefused(Exception):
    """What a user or an admin asked of a job cannot be done now; the message says why, in plain words."""


# --- Profiles ---------------------------------------------------------------------------------


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


def profile_track(*, user, text: str) -> tuple[InstagramProfile, Job | None]:
    """Have `user` track the profile named in `text`, and queue its first sync unless one is under way."""
    username = username_parse(text=text)
    with transaction.atomic():
        profile, _ = InstagramProfile.objects.get_or_create(username=username)
        Tracking.objects.get_or_create(user=user, profile=profile)
        # A profile already up to date is refreshed by beat; any other (new, failed, stuck) is synced now.
        ready = profile.status == profile.Status.READY
        job = None if ready else profile_sync_queue(profile=profile, requested_by=user)
    return profile, job


def profile_sync_queue(*, profile: InstagramProfile, requested_by=None, retry_of: Job | None = None) -> Job | None:
    """A sync job for the profile, queued after commit; None if one is already queued or running."""
    from profiles.tasks import sync_profile  # here: the tasks module imports this one

    if profile.is_demo:
        return None  # it is not on Instagram: its posts come from the repository
    with transaction.atomic():
        # The profile's row is the lock: two users adding it at once get one sync between them.
        InstagramProfile.objects.select_for_update().filter(pk=profile.pk).first()
        if profile.jobs.filter(kind=Job.Kind.SYNC, status__in=Job.ACTIVE).exists():
            return None
        job = Job.objects.create(kind=Job.Kind.SYNC, profile=profile, requested_by=requested_by, retry_of=retry_of)
        sync_profile.delay_on_commit(job.pk)
    return job


def profiles_refresh() -> list[Job]:
    """Queue a sync of every profile someone tracks (beat runs this); untracked ones are left alone."""
    profiles = InstagramProfile.objects.filter(trackings__isnull=False, is_demo=False).distinct()
    with transaction.atomic():
        return [job for profile in profiles if (job := profile_sync_queue(profile=profile))]


def profile_refresh(*, profile: InstagramProfile, requested_by) -> Job:
    """A sync a user asked for ("Refresh now"); JobRefused while one runs, or within the cooldown of the last."""
    if profile.is_demo:
        raise JobRefused(
            f"@{profile.username} is the demo profile: it is not on Instagram, there is nothing to refresh."
        )
    with transaction.atomic():
        InstagramProfile.objects.select_for_update().filter(pk=profile.pk).first()
        last = profile.jobs.filter(kind=Job.Kind.SYNC).order_by("-created_at").first()
        if last and last.is_active:
            raise JobRefused(f"@{profile.username} is being synced already.")
        next_allowed = last.created_at + timedelta(minutes=settings.PROFILE_REFRESH_COOLDOWN_MINUTES) if last else None
        if next_allowed and next_allowed > timezone.now():
            raise JobRefused(
                f"The last sync of @{profile.username} began at {timezone.localtime(last.created_at):%H:%M}; "
                f"it can be refreshed again from {timezone.localtime(next_allowed):%H:%M}."
            )
        return profile_sync_queue(profile=profile, requested_by=requested_by)


def profile_untrack(*, user, profile: InstagramProfile) -> bool:
    """Stop `user` tracking the profile; the profile and its posts stay (others may track it). False if not tracked."""
    deleted, _ = Tracking.objects.filter(user=user, profile=profile).delete()
    return deleted > 0


def profile_reindex(*, profile: InstagramProfile, requested_by=None, retry_of: Job | None = None) -> Job | None:
    """Queue the profile's photos that the configured models have not indexed, failed ones included; None if none."""
    with transaction.atomic():
        # The profile's row is the lock: two clicks on "re-index" queue one job between them.
        InstagramProfile.objects.select_for_update().filter(pk=profile.pk).first()
        if profile.jobs.filter(kind=Job.Kind.INDEX, status__in=Job.ACTIVE).exists():
            raise JobRefused(f"Photos of @{profile.username} are being indexed already.")
        return _photos_index_stale(profile=profile, requested_by=requested_by, retry_of=retry_of)


def _photos_index_stale(*, profile: InstagramProfile | None, requested_by, retry_of: Job | None) -> Job | None:
    """One index job for the photos (of the profile, or all) not indexed by the configured models; None if none."""
    photos = Photo.objects.filter(post__profile=profile) if profile else Photo.objects.all()
    photos.exclude(index_error="").update(index_error="")  # a photo that failed gets another chance
    stale = list(photos.exclude(photos_up_to_date()).order_by("pk").values_list("pk", flat=True))
    if not stale:
        return None
    job = Job.objects.create(
        kind=Job.Kind.INDEX, profile=profile, requested_by=requested_by, progress_total=len(stale), retry_of=retry_of
    )
    photos_enqueue(photo_ids=stale, job=job)
    return job


# --- Posts and photos -------------------------------------------------------------------------


@dataclass
class IngestResult:
    post: Post
    created: bool = False
    new_photo_ids: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)  # position: why its image was not stored


def post_ingest(*, profile: InstagramProfile, data: instagram.PostData, fetch: Callable[[int], bytes]) -> IngestResult:
    """Store a post and those of its images not stored yet; `fetch(position)` gives an image's bytes.

    Idempotent: a stored image is never fetched again. The post and its new photos are written in one
    transaction, so an error never leaves half a post; a refused image is reported and skipped.
    """
    stored = set(Photo.objects.filter(post__shortcode=data.shortcode).values_list("position", flat=True))
    checked, refused = {}, {}
    for position in range(1, len(data.images) + 1):
        if position in stored:
            continue
        try:
            checked[position] = image_check(fetch(position))
        except (ImageRefused, instagram.ImageUnavailable) as exc:
            refused[position] = str(exc)
    saved_files = []
    try:
        with transaction.atomic():
            post, created = _post_save(profile=profile, data=data)
            new_ids = []
            for position, image in checked.items():
                photo = Photo(
                    post=post,
                    position=position,
                    sha256=image.sha256,
                    perceptual_hash=image.perceptual_hash,
                    alt_text=data.images[position - 1].alt_text,
                )
                name = f"{position}.{image.extension}"
                # A named file: Django fills width and height only from one.
                photo.image.save(name, ContentFile(image.data, name=name), save=False)
                saved_files.append(photo.image.name)
                photo.save()
                new_ids.append(photo.pk)
    except Exception:
        for name in saved_files:
            Photo.image.field.storage.delete(name)
        raise
    return IngestResult(post=post, created=created, new_photo_ids=new_ids, refused=refused)


def _post_save(*, profile: InstagramProfile, data: instagram.PostData) -> tuple[Post, bool]:
    fields = {
        "media_id": data.media_id,
        "taken_at": data.taken_at,
        "caption": data.caption,
        "hashtags": data.hashtags,
        "mentions": data.mentions,
        "location_name": data.location_name,
        "likes": data.likes,
        "comments": data.comments,
        "kind": data.kind,
    }
    post, created = Post.objects.select_for_update().get_or_create(
        shortcode=data.shortcode, defaults={"profile": profile, **fields}
    )
    if not created:
        # Fresh counts and caption; the post stays with the profile it was first stored under.
        changed = [name for name, value in fields.items() if getattr(post, name) != value]
        for name in changed:
            setattr(post, name, fields[name])
        if changed:
            post.save(update_fields=changed)
    return post, created


def photos_queue_for_indexing(*, photo_ids: list[int], profile: InstagramProfile | None = None) -> Job | None:
    """Hand new photos to the ml workers in batches, once the transaction commits, under one index job."""
    if not photo_ids:
        return None
    job = Job.objects.create(kind=Job.Kind.INDEX, profile=profile, progress_total=len(photo_ids))
    photos_enqueue(photo_ids=photo_ids, job=job)
    return job


# --- Import of instaloader folders ------------------------------------------------------------


@dataclass
class ImportReport:
    posts: int = 0
    new_posts: int = 0
    new_photos: int = 0
    problems: list[str] = field(default_factory=list)
    stopped: bool = False  # cancelled before the end of the folder

    def summary(self) -> str:
        text = f"{self.posts} posts read, {self.new_posts} new, {self.new_photos} new photos."
        if self.problems:
            text += f" {len(self.problems)} skipped: " + "; ".join(self.problems)
        return text[:500]


def folder_import(
    *, path: Path, username: str = "", progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    """Ingest a folder written by `instaloader PROFILE`, as a sync of the same posts would; idempotent."""
    path = Path(path)
    if not path.is_dir():
        raise ValidationError(f"{path} is not a folder.")
    described = folders.folder_profile(path)
    username = username_parse(text=username or (described.username if described else path.name))
    profile, _ = InstagramProfile.objects.get_or_create(username=username)
    if described and described.username == username:
        _profile_update(profile=profile, data=described)
    report, new_photo_ids = ImportReport(), []
    posts = folders.folder_posts(path)
    for done, folder_post in enumerate(posts, start=1):
        _folder_post_import(profile=profile, folder_post=folder_post, report=report, new_photo_ids=new_photo_ids)
        # A progress callback answering False means the job was cancelled: stop here, keep what is stored.
        if progress and progress(done, len(posts)) is False:
            report.stopped = True
            break
    photos_queue_for_indexing(photo_ids=new_photo_ids, profile=profile)
    return report


def _folder_post_import(*, profile, folder_post: folders.FolderPost, report: ImportReport, new_photo_ids: list):
    if folder_post.metadata is None:
        names = ", ".join(file.name for file in folder_post.images.values()) or f"{folder_post.stem}.txt"
        report.problems.append(f"{names}: no metadata file (.json.xz) beside it")
        return
    try:
        data = instagram.post_from_file(folder_post.metadata)
    except instagram.InstagramError as exc:
        report.problems.append(f"{folder_post.metadata.name}: {exc}")
        return
    if not data.caption and folder_post.caption_file:
        data = _with_caption(data, folder_post.caption_file.read_text(encoding="utf-8", errors="replace"))

    def read(position: int) -> bytes:
        file = folder_post.images.get(position)
        if file is None:
            raise ImageRefused("missing from the folder")
        if file.stat().st_size > settings.INSTAGRAM_MAX_IMAGE_BYTES:
            raise ImageRefused("too large")
        return file.read_bytes()

    result = post_ingest(profile=profile, data=data, fetch=read)
    report.posts += 1
    report.new_posts += result.created
    report.new_photos += len(result.new_photo_ids)
    new_photo_ids.extend(result.new_photo_ids)
    for position, reason in result.refused.items():
        # Named by file, which is what the person holding the folder can look at.
        file = folder_post.images.get(position)
        report.problems.append(f"{file.name if file else f'{folder_post.stem} image {position}'}: {reason}")


def _with_caption(data: instagram.PostData, caption: str) -> instagram.PostData:
    tags = re.findall(r"(?:#)(\w+)", caption.lower())
    return replace(data, caption=caption.strip(), hashtags=tags)


def _profile_update(*, profile: InstagramProfile, data: instagram.ProfileData) -> None:
    profile.full_name = data.full_name[:150]
    profile.biography = data.biography
    profile.is_private = data.is_private
    profile.post_count = data.post_count
    update = ["full_name", "biography", "is_private", "post_count"]
    # Another stored profile may hold the id (renamed on Instagram): keep ours rather than fail.
    if data.instagram_id and not InstagramProfile.objects.filter(instagram_id=data.instagram_id).exclude(pk=profile.pk):
        profile.instagram_id = data.instagram_id
        update.append("instagram_id")
    profile.save(update_fields=update)


# --- Sync from Instagram ----------------------------------------------------------------------


def profile_sync(*, job: Job) -> None:
    """Fetch the job's profile and its posts newer than those stored, resuming an interrupted sync.

    Raises instagram.InstagramWait when Instagram asks us to wait (the task turns it into a retry) and
    instagram.InstagramError when it refuses for good; everything stored before either is kept.
    """
    profile = job.profile
    _profile_status(profile, InstagramProfile.Status.SYNCING, "")
    feed = instagram.PostFeed(profile.username, resume_from=(profile.sync_cursor or {}).get("iterator"))
    _profile_update(profile=profile, data=feed.profile)
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
                progress.add(post_ingest(profile=profile, data=data, fetch=_Downloader(data).fetch))
                if len(progress.pending) >= settings.INDEX_BATCH_SIZE * INDEX_BATCHES_PER_JOB:
                    progress.index_pending(profile)  # indexing starts while the sync goes on
                # Saved with the post it follows: a worker killed now resumes after this post, not before.
                progress.save(profile, iterator=feed.freeze())
            if not job.report_progress(progress.done):
                progress.index_pending(profile)
                _profile_status(profile, InstagramProfile.Status.READY, "Sync cancelled.")
                return  # the cursor lets the next sync go on from here
    except instagram.InstagramWait:
        progress.index_pending(profile)  # what is stored is indexed meanwhile
        raise
    progress.index_pending(profile)
    profile.sync_cursor, profile.last_synced_at = None, timezone.now()
    profile.save(update_fields=["sync_cursor", "last_synced_at"])
    _profile_status(profile, InstagramProfile.Status.READY, "")
    job.finish(progress.summary())


@dataclass
class _SyncProgress:
    """Where a sync stands; kept in profile.sync_cursor, beside instaloader's iterator, after every post."""

    stop_at: str | None  # the newest post stored when the sync began: the boundary of "new"
    done: int = 0  # posts gone through (the one re-read after a resume counts twice)
    new_posts: int = 0
    pending: list[int] = field(default_factory=list)  # new photos not handed to the indexer yet
    problems: list[str] = field(default_factory=list)

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

    def save(self, profile: InstagramProfile, iterator: dict | None = None) -> None:
        iterator = iterator or (profile.sync_cursor or {}).get("iterator")
        profile.sync_cursor = {"iterator": iterator, **asdict(self)}
        profile.save(update_fields=["sync_cursor"])

    def index_pending(self, profile: InstagramProfile) -> None:
        """Hand the pending photos to the indexer; the cursor forgets them so they are not sent twice."""
        if self.pending:
            photos_queue_for_indexing(photo_ids=self.pending, profile=profile)
            self.pending = []
            if profile.sync_cursor:
                self.save(profile)

    def summary(self) -> str:
        text = f"{self.new_posts} new post{'s' if self.new_posts != 1 else ''}."
        if self.problems:
            count = len(self.problems)
            text += f" {count} image{'s' if count != 1 else ''} skipped: " + "; ".join(self.problems)
        return text[:500]


def profile_sync_wait(*, job: Job, seconds: int) -> None:
    """Park the sync until Instagram lets us go on, saying until when."""
    until = timezone.now() + timedelta(seconds=seconds)
    message = f"Waiting for Instagram until {timezone.localtime(until):%H:%M}"
    job.wait(until, message)
    _profile_status(job.profile, InstagramProfile.Status.SYNCING, message)


def profile_sync_fail(*, job: Job, message: str, error: str = "") -> None:
    job.fail(message[:500], error=error)
    _profile_status(job.profile, InstagramProfile.Status.FAILED, message)


def _profile_status(profile: InstagramProfile, status: str, message: str) -> None:
    profile.status, profile.status_message = status, message[:500]
    profile.save(update_fields=["status", "status_message"])


class _Downloader:
    """Fetches a post's images; an expired link refetches the post's metadata once for fresh links."""

    def __init__(self, data: instagram.PostData):
        self.data, self.refreshed = data, False

    def fetch(self, position: int) -> bytes:
        try:
            return instagram.image_download(self.data.images[position - 1].url)
        except instagram.ImageExpired:
            if self.refreshed:
                raise
            self.refreshed = True
            try:
                self.data = instagram.post_fetch(self.data.shortcode)
            except instagram.ProfileUnavailable:
                raise instagram.ImageUnavailable("the post is no longer on Instagram") from None
            if position > len(self.data.images):
                raise instagram.ImageUnavailable("the image is no longer in the post") from None
            return instagram.image_download(self.data.images[position - 1].url)


# --- Instagram sessions -----------------------------------------------------------------------


def session_store(*, username: str, cookies: dict) -> InstagramSession:
    """Keep a signed-in session for `username`, replacing an older one of the same account."""
    username = username_parse(text=username)
    session, _ = InstagramSession.objects.update_or_create(
        username=username, defaults={"cookies": cookies, "is_active": True}
    )
    return session


def session_from_cookies(*, username: str, text: str) -> InstagramSession:
    """Store a session from cookies exported from a browser signed in to Instagram."""
    return session_store(username=username, cookies=instagram.session_from_cookies(text))


def session_from_login(*, username: str, password: str, ask_code=None) -> InstagramSession:
    """Sign in to Instagram with a password (and a two-factor code if asked) and store the session."""
    username = username_parse(text=username)
    return session_store(username=username, cookies=instagram.session_from_login(username, password, ask_code))


# --- Import of a zip uploaded in the admin ----------------------------------------------------


class ImportRefused(Exception):
    """The upload cannot be imported at all; the message says why."""


def zip_import_queue(*, upload, profile: InstagramProfile | None, requested_by) -> Job:
    """Keep the zip in Django storage (any worker can read it there) and queue its import after commit."""
    job = Job(kind=Job.Kind.IMPORT, profile=profile, requested_by=requested_by)
    job.source_file.save(Path(upload.name).name, upload, save=False)
    job.save()
    from profiles.tasks import import_zip  # here: the tasks module imports this one

    import_zip.delay_on_commit(job.pk)
    return job


def zip_extract(*, job: Job, into: Path) -> Path:
    """Unpack the job's zip, flat, into a folder named after the profile; returns that folder.

    Only file names are kept (no path from the archive is followed), and the total size is capped
    so a zip bomb is refused before it fills the disk.
    """
    if not job.source_file:
        raise ImportRefused("This import has no zip file.")
    try:
        with job.source_file.open("rb") as stored, zipfile.ZipFile(stored) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            if sum(info.file_size for info in members) > settings.IMPORT_MAX_BYTES:
                raise ImportRefused(f"This zip unpacks to more than {settings.IMPORT_MAX_BYTES} bytes.")
            tops = {info.filename.split("/", 1)[0] for info in members if "/" in info.filename}
            name = job.profile.username if job.profile else (tops.pop() if len(tops) == 1 else "import")
            folder = into / Path(name).name
            folder.mkdir()
            for info in members:
                filename = Path(info.filename).name
                if filename and not filename.startswith("."):
                    with archive.open(info) as source, open(folder / filename, "wb") as target:
                        shutil.copyfileobj(source, target)
            return folder
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError):
        raise ImportRefused("This file is not a readable zip.") from None


# --- Jobs that users and admins steer ---------------------------------------------------------


def job_cancel(*, job: Job) -> bool:
    """Cancel a queued, waiting or running job (a running one stops at its next batch); False if it had ended."""
    if not job.cancel():
        return False
    if job.kind == Job.Kind.SYNC and job.profile_id:
        # A running sync says so itself when it stops; one that never started would leave "Syncing" behind.
        InstagramProfile.objects.filter(pk=job.profile_id, status=InstagramProfile.Status.SYNCING).update(
            status=InstagramProfile.Status.READY, status_message="Sync cancelled."
        )
    return True


def job_retry(*, job: Job, requested_by=None) -> Job:
    """A new job doing again what a failed or cancelled one did; the old one stays, as history. JobRefused if not."""
    from profiles.tasks import import_zip  # here: the tasks module imports this one

    with transaction.atomic():
        # The old job's row is the lock; the one-to-one retry_of makes a second retry impossible even without it.
        job = Job.objects.select_for_update(of=("self",)).select_related("profile").get(pk=job.pk)
        if job.status not in Job.RETRYABLE:
            raise JobRefused(
                f"Job #{job.pk} is {job.get_status_display().lower()}: only failed or cancelled jobs are retried."
            )
        if retried := Job.objects.filter(retry_of=job).first():
            raise JobRefused(f"Job #{job.pk} was retried already, as job #{retried.pk}.")
        if job.kind == Job.Kind.SYNC:
            new = profile_sync_queue(profile=job.profile, requested_by=requested_by, retry_of=job)
            if new is None:
                raise JobRefused(f"@{job.profile.username} is being synced already.")
        elif job.kind == Job.Kind.IMPORT:
            if not job.source_file:
                raise JobRefused(f"Job #{job.pk} has no zip left to import.")
            new = Job.objects.create(
                kind=Job.Kind.IMPORT, profile=job.profile, requested_by=requested_by, source_file=job.source_file.name,
                retry_of=job,
            )  # fmt: skip
            import_zip.delay_on_commit(new.pk)
        else:
            if job.profile and job.profile.jobs.filter(kind=Job.Kind.INDEX, status__in=Job.ACTIVE).exists():
                raise JobRefused(f"Photos of @{job.profile.username} are being indexed already.")
            new = _photos_index_stale(profile=job.profile, requested_by=requested_by, retry_of=job)
            if new is None:
                raise JobRefused(f"Job #{job.pk}: every photo is indexed already, nothing to retry.")
    return new


# --- The demo profile -------------------------------------------------------------------------


def demo_load(*, path: Path = DEMO_FOLDER) -> tuple[InstagramProfile, ImportReport]:
    """Import the demo folder (as any instaloader folder) and have every user track it; idempotent."""
    from django.contrib.auth import get_user_model

    report = folder_import(path=path)
    profile = InstagramProfile.objects.get(username=folders.folder_profile(Path(path)).username)
    profile.is_demo, profile.status, profile.status_message = True, InstagramProfile.Status.READY, ""
    profile.last_synced_at = profile.last_synced_at or timezone.now()
    profile.save(update_fields=["is_demo", "status", "status_message", "last_synced_at"])
    users = get_user_model().objects.filter(is_active=True)
    Tracking.objects.bulk_create([Tracking(user=user, profile=profile) for user in users], ignore_conflicts=True)
    return profile, report
