"""Folders written by `instaloader PROFILE`, imported as a sync of the same posts would store them; and
their zips, uploaded by staff in the admin."""

import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from profiles import folders, instagram
from profiles.images import ImageRefused
from profiles.models import InstagramProfile, Job
from profiles.services.ingest import post_ingest, profile_update
from profiles.services.tracking import username_parse
from search.indexing import photos_index_queue


class ImportRefused(Exception):
    """The upload cannot be imported at all; the message says why."""


@dataclass
class ImportReport:
    profile: InstagramProfile | None = None  # the profile the posts were imported to
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
    *,
    path: Path,
    username: str = "",
    progress: Callable[[int, int], None] | None = None,
    queue_index: bool = True,
) -> ImportReport:
    """Ingest a folder written by `instaloader PROFILE`, as a sync of the same posts would; idempotent.

    The new photos are queued for the ml worker, unless queue_index is False (the caller indexes them).
    """
    path = Path(path)
    if not path.is_dir():
        raise ValidationError(f"{path} is not a folder.")
    described = folders.folder_profile(path)
    username = username_parse(text=username or (described.username if described else path.name))
    profile, _ = InstagramProfile.objects.get_or_create(username=username)
    if described and described.username == username:
        profile_update(profile=profile, data=described)
    report, new_photo_ids = ImportReport(profile=profile), []
    posts = folders.folder_posts(path)
    for done, folder_post in enumerate(posts, start=1):
        _folder_post_import(profile=profile, folder_post=folder_post, report=report, new_photo_ids=new_photo_ids)
        # A progress callback answering False means the job was cancelled: stop here, keep what is stored.
        if progress and progress(done, len(posts)) is False:
            report.stopped = True
            break
    if queue_index:
        photos_index_queue(photo_ids=new_photo_ids, profile=profile)
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


def zip_import_queue(*, upload, profile: InstagramProfile | None, requested_by) -> Job:
    """Keep the zip in Django storage (any worker can read it there) and queue its import after commit."""
    from profiles.tasks import run_import_job  # the tasks module imports this one

    job = Job(kind=Job.Kind.IMPORT, profile=profile, requested_by=requested_by)
    job.source_file.save(Path(upload.name).name, upload, save=False)
    job.save()
    run_import_job.delay_on_commit(job.pk)
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
