"""Files go with their rows: a profile or a photo deleted takes its files along once the deletion commits, in
local folders and buckets alike; `manage.py media_orphans` finds what was left behind, and removes it on request."""

import os
import time
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction

from profiles.models import Photo
from profiles.tests.factories import jpeg_bytes, make_photo, make_post, make_profile
from search.thumbnails import ensure_thumbnail

pytestmark = pytest.mark.django_db


@pytest.fixture
def sailor():
    """@sailor with a picture and two photos, each with its thumbnail: the names of all five files."""
    profile = make_profile("sailor")
    profile.profile_picture.save("sailor.jpg", ContentFile(jpeg_bytes()))
    photos = [make_photo(post=make_post(profile=profile, shortcode=f"Boat{n}")) for n in range(2)]
    files = [profile.profile_picture.name] + [photo.image.name for photo in photos]
    files += [ensure_thumbnail(photo) for photo in photos]
    assert all(default_storage.exists(name) for name in files)
    return profile, files


def test_a_deleted_profile_takes_its_files_along_once_the_deletion_commits(sailor, django_capture_on_commit_callbacks):
    profile, files = sailor
    with django_capture_on_commit_callbacks() as removals:
        profile.delete()
    assert all(default_storage.exists(name) for name in files)  # not before the commit
    for removal in removals:
        removal()
    assert not any(default_storage.exists(name) for name in files)


def test_a_deletion_rolled_back_keeps_its_files(sailor, django_capture_on_commit_callbacks):
    profile, files = sailor
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        profile.delete()
        raise RuntimeError("the deletion fails after the rows went")
    assert all(default_storage.exists(name) for name in files)


def test_photos_deleted_from_a_bucket_leave_nothing_in_it(
    media_bucket, bucket_keys, django_capture_on_commit_callbacks
):
    post = make_post(profile=make_profile("sailor"))
    for position in (1, 2):
        ensure_thumbnail(make_photo(post=post, position=position))
    assert len(bucket_keys("photos/")) == len(bucket_keys("thumbnails/")) == 2
    with django_capture_on_commit_callbacks(execute=True):
        Photo.objects.filter(post=post).delete()
    assert bucket_keys() == []


def aged(name: str, hours: float = 48) -> str:
    then = time.time() - hours * 3600
    os.utime(default_storage.path(name), (then, then))
    return name


def test_orphaned_files_are_listed_and_kept_unless_deletion_is_asked_for(sailor):
    _, files = sailor
    orphan = aged(default_storage.save("photos/gone/Old1_1.jpg", ContentFile(jpeg_bytes())))
    recent = default_storage.save("thumbnails/999-abcdef.webp", ContentFile(b"being written"))
    for name in files:
        aged(name)
    out = StringIO()
    call_command("media_orphans", stdout=out)
    assert f"{orphan} (" in out.getvalue() and recent not in out.getvalue()
    assert "1 orphaned files" in out.getvalue() and "run again with --delete" in out.getvalue()
    assert default_storage.exists(orphan)  # a dry run by default

    call_command("media_orphans", "--delete", stdout=StringIO())
    assert not default_storage.exists(orphan)
    assert default_storage.exists(recent) and all(default_storage.exists(name) for name in files)
