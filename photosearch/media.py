"""Orphaned media: files in the media storage (local or a bucket) that no row names any more.

A deletion removes its files once it commits (core.files); what a failed removal (the bucket down), a
crash between a file's write and its row's, or an older version left behind is found here, and removed
by `manage.py media_orphans --delete`. Only files older than a margin count: a file written a moment ago
may belong to a row not committed yet.
"""

from collections.abc import Iterator
from datetime import timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from jobs.models import Job
from profiles.models import InstagramProfile, Photo, Post
from search.thumbnails import thumbnail_name

# The folders photosearch writes in (photos, their thumbnails, videos, profile pictures, imported zips).
FOLDERS = ("photos", "thumbnails", "videos", "profiles", "imports")


def _stored(folder: str) -> Iterator[str]:
    """The names of the files under `folder`, at any depth."""
    try:
        directories, files = default_storage.listdir(folder)
    except FileNotFoundError:  # a local folder never written to
        return
    yield from (f"{folder}/{name}" for name in files)
    for directory in directories:
        yield from _stored(f"{folder}/{directory}")


def _named() -> set[str]:
    """Every file name a row holds (thumbnails are named after their photo)."""
    names = set(Photo.objects.values_list("image", flat=True))
    names |= {thumbnail_name(Photo(pk=pk, sha256=sha)) for pk, sha in Photo.objects.values_list("pk", "sha256")}
    names |= set(Post.objects.exclude(video="").values_list("video", flat=True))
    names |= set(InstagramProfile.objects.exclude(profile_picture="").values_list("profile_picture", flat=True))
    names |= set(Job.objects.exclude(source_file="").values_list("source_file", flat=True))
    return names


def media_orphans(*, older_than: timedelta) -> list[tuple[str, int]]:
    """(name, size in bytes) of each stored file no row names, written more than `older_than` ago."""
    before = timezone.now() - older_than
    stored = [name for folder in FOLDERS for name in _stored(folder)]  # listed first: a row made since still counts
    named = _named()
    return [
        (name, default_storage.size(name))
        for name in stored
        if name not in named and default_storage.get_modified_time(name) < before
    ]


def media_orphans_delete(names: list[str]) -> int:
    """Remove the files; how many were removed (one that went meanwhile is not counted)."""
    removed = 0
    for name in names:
        if default_storage.exists(name):
            default_storage.delete(name)
            removed += 1
    return removed
