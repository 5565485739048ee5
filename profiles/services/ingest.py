"""A post and its images stored, the same way whatever brought them (a sync, a folder, a zip)."""

import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction

from core import perceptual
from core.images import ImageRefused, image_check, load_for_models
from profiles import instagram
from profiles.models import InstagramProfile, Photo, Post

# How many batches of new photos a sync or an import gathers before announcing them to the indexer.
INDEX_BATCHES_PER_JOB = 4


class PostNotStored(Exception):
    """The post's images could not be written (the media disk is full, say); nothing of the post was kept."""


@dataclass
class IngestResult:
    post: Post
    created: bool = False
    new_photo_ids: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)  # position: why its image was not stored


def post_ingest(*, profile: InstagramProfile, data: instagram.PostData, fetch: Callable[[int], bytes]) -> IngestResult:
    """Store a post and those of its images not stored yet; `fetch(position)` gives an image's bytes.

    Idempotent: a stored image is never fetched again. The post and its new photos are written in one
    transaction, so an error never leaves half a post (nor half a file); a refused image is reported and
    skipped. PostNotStored when the storage cannot take the images: the post is left for the next run.
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
    saved_files, storage = [], Photo.image.field.storage
    try:
        with transaction.atomic():
            post, created = _post_save(profile=profile, data=data)
            new_ids = []
            for position, image in checked.items():
                # Hashed now, as indexing would: a copy of the photo finds it before any model has run.
                hashes = perceptual.stored_hashes(load_for_models(io.BytesIO(image.data)))
                photo = Photo(
                    post=post,
                    position=position,
                    sha256=image.sha256,
                    perceptual_hash=image.perceptual_hash,
                    image_hashes=hashes,
                    image_hash_bands=perceptual.hash_bands(hashes),
                    alt_text=data.images[position - 1].alt_text,
                )
                name = f"{position}.{image.extension}"
                # Where the storage will write it: a write that fails half-way leaves a partial file there.
                saved_files.append(storage.get_available_name(photo.image.field.generate_filename(photo, name)))
                # A named file: Django fills width and height only from one.
                photo.image.save(name, ContentFile(image.data, name=name), save=False)
                saved_files[-1] = photo.image.name
                photo.save()
                new_ids.append(photo.pk)
    except Exception as exc:
        for name in saved_files:
            storage.delete(name)
        if isinstance(exc, OSError):  # the disk is full, over quota, read-only...: the storage's fault, not the post's
            raise PostNotStored(
                f"its images could not be written to the media storage ({exc.strerror or exc})."
            ) from exc
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


def profile_update(*, profile: InstagramProfile, data: instagram.ProfileData, may_make_public: bool = True) -> None:
    """What Instagram (or a folder) says of the profile: names, biography, privacy, post count, id.

    A folder is a copy made some day by someone: it may make a profile private, never public again
    (`may_make_public=False`), or its photos would be shown to everyone who tracks it. Only Instagram can.
    """
    profile.full_name = data.full_name[:150]
    profile.biography = data.biography
    profile.is_private = data.is_private or (profile.is_private and not may_make_public)
    profile.post_count = data.post_count
    update = ["full_name", "biography", "is_private", "post_count"]
    # Another stored profile may hold the id (renamed on Instagram): keep ours rather than fail.
    if data.instagram_id and not InstagramProfile.objects.filter(instagram_id=data.instagram_id).exclude(pk=profile.pk):
        profile.instagram_id = data.instagram_id
        update.append("instagram_id")
    profile.save(update_fields=update)
