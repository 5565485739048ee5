"""Thumbnails: made once per photo (by the ml worker as it indexes, else on first view) and kept as files."""

import io

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from core.files import file_delete_on_commit
from core.images import load_for_models
from profiles.models import Photo

SIZE = 480


def thumbnail_name(photo: Photo) -> str:
    # The file's hash is in the name: a photo whose image changes gets a new thumbnail, never a stale one.
    return f"thumbnails/{photo.pk}-{photo.sha256[:16]}.webp"


def ensure_thumbnail(photo: Photo, image: Image.Image | None = None) -> str:
    """The storage name of the photo's thumbnail, made now if it does not exist (ImageRefused if it can't be)."""
    name = thumbnail_name(photo)
    if default_storage.exists(name):
        return name
    if image is None:
        with photo.image.open("rb") as file:
            image = load_for_models(file, max_side=SIZE)
    image = image.copy()
    image.thumbnail((SIZE, SIZE))
    buffer = io.BytesIO()
    # method=1: a faster encoder effort, 2.3x faster than the default 4 for files about 10% larger (a 480 px
    # photo: 10 ms rather than 24 ms, 13.7 KB rather than 12.5 KB); it is a fair share of the first pass.
    image.save(buffer, "WEBP", quality=80, method=1)
    return default_storage.save(name, ContentFile(buffer.getvalue()))


def thumbnail_delete(sender, instance: Photo, **kwargs) -> None:
    """Remove a deleted photo's thumbnail once the deletion commits (post_delete, connected in SearchConfig)."""
    file_delete_on_commit(default_storage, thumbnail_name(instance))
