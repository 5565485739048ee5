"""Small builders for rows the tests need; real rows in the real database, no mocks."""

import hashlib
import io
import time
from datetime import UTC, datetime

from django.core.files.base import ContentFile
from PIL import Image

from jobs.models import Job
from profiles.models import InstagramProfile, Photo, Post

# When the profiles made "up to date" were last synced: their state is derived from that and their jobs.
SYNCED = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def make_profile(username="natgeotravel", **fields) -> InstagramProfile:
    return InstagramProfile.objects.create(username=username, **fields)


def make_post(profile=None, shortcode="C1a2b3c4d5e", **fields) -> Post:
    fields.setdefault("taken_at", datetime(2024, 6, 1, 18, 30, tzinfo=UTC))
    return Post.objects.create(profile=profile or make_profile(), shortcode=shortcode, **fields)


def jpeg_bytes(color=(200, 30, 30), size=(64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="JPEG")
    return buffer.getvalue()


def make_photo(post=None, position=1, **fields) -> Photo:
    data = jpeg_bytes()
    photo = Photo(post=post or make_post(), position=position, sha256=hashlib.sha256(data).hexdigest(), **fields)
    # A named ContentFile: Django reads width and height only from a file that has a name.
    photo.image.save("original.jpg", ContentFile(data, name="original.jpg"), save=False)
    photo.save()
    return photo


def settled(job: Job, timeout: float = 60) -> Job:
    """The job once a worker is done with it for now: ended (done, failed, cancelled) or waiting."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status not in (Job.Status.QUEUED, Job.Status.RUNNING):
            return job
        time.sleep(0.05)
    raise AssertionError(f"The job is still {job.status} after {timeout} s: {job.message}")


def described(timeout: float = 60) -> None:
    """Return once no photo waits for its second pass (a worker on the describe queue has done them all)."""
    from profiles.models import photos_awaiting_description

    deadline = time.monotonic() + timeout
    while (waiting := Photo.objects.filter(photos_awaiting_description()).count()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not waiting, f"{waiting} photos still wait for their description after {timeout} s"
