"""A post and its images (and video) stored, the same way whatever brought them (a sync, a folder, a zip)."""

import io
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from core import perceptual
from core.images import CheckedImage, ImageRefused, image_check, load_for_models
from core.videos import CheckedVideo, VideoRefused, video_check
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
    video_refused: str = ""  # why the post's video was not stored


def post_ingest(
    *,
    profile: InstagramProfile,
    data: instagram.PostData,
    fetch: Callable[[int], bytes],
    fetch_video: Callable[[], bytes] | None = None,
) -> IngestResult:
    """Store a post and those of its images not stored yet; `fetch(position)` gives an image's bytes, and
    `fetch_video()` a video post's video (unless VIDEO_DOWNLOAD is off).

    Idempotent: a stored image or video is never fetched again. The post and its new files are written in one
    transaction, so an error never leaves half a post (nor half a file); a refused image or video is reported
    and skipped. PostNotStored when the storage cannot take the files: the post is left for the next run.
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
    video, video_refused = _video_checked(data=data, fetch_video=fetch_video)
    written, storage = [], Photo.image.field.storage
    try:
        with transaction.atomic():
            post, created = _post_save(profile=profile, data=data)
            new_ids = [
                photo_store(post=post, position=position, image=image, alt_text=data.images[position - 1].alt_text,
                            written=written).pk
                for position, image in checked.items()
            ]  # fmt: skip
            if video:
                written.append(storage.get_available_name(post.video.field.generate_filename(post, "video.mp4")))
                post.video.save("video.mp4", ContentFile(video.data, name="video.mp4"), save=False)
                written[-1], post.video_seconds = post.video.name, video.seconds
                post.save(update_fields=["video", "video_seconds"])
    except Exception as exc:
        for name in written:
            storage.delete(name)
        if isinstance(exc, OSError):  # the disk is full, over quota, read-only...: the storage's fault, not the post's
            raise PostNotStored(
                f"its images could not be written to the media storage ({exc.strerror or exc})."
            ) from exc
        raise
    return IngestResult(post=post, created=created, new_photo_ids=new_ids, refused=refused, video_refused=video_refused)


def _video_checked(*, data: instagram.PostData, fetch_video) -> tuple[CheckedVideo | None, str]:
    """The post's video, fetched and checked if it is a video post whose video is not stored yet; or why not."""
    if not (fetch_video and settings.VIDEO_DOWNLOAD and data.kind == Post.Kind.VIDEO):
        return None, ""
    if Post.objects.filter(shortcode=data.shortcode).exclude(video="").exists():
        return None, ""
    try:
        return video_check(fetch_video()), ""
    except (VideoRefused, instagram.ImageUnavailable) as exc:
        return None, str(exc)


def photo_store(
    *,
    post: Post,
    position: int,
    image: CheckedImage,
    written: list[str],
    alt_text: str = "",
    video_time: float | None = None,
    describe: bool = True,
) -> Photo:
    """One checked image stored as a photo of `post`, hashed; its file's name is added to `written` (for the
    caller to remove should its transaction fail)."""
    # Hashed now, as indexing would: a copy of the photo finds it before any model has run.
    hashes = perceptual.stored_hashes(load_for_models(io.BytesIO(image.data)))
    photo = Photo(
        post=post,
        position=position,
        sha256=image.sha256,
        perceptual_hash=image.perceptual_hash,
        image_hashes=hashes,
        image_hash_bands=perceptual.hash_bands(hashes),
        alt_text=alt_text,
        video_time=video_time,
        describe=describe,
    )
    name = f"{position}.{image.extension}"
    storage = Photo.image.field.storage
    # Where the storage will write it: a write that fails half-way leaves a partial file there.
    written.append(storage.get_available_name(photo.image.field.generate_filename(photo, name)))
    # A named file: Django fills width and height only from one.
    photo.image.save(name, ContentFile(image.data, name=name), save=False)
    written[-1] = photo.image.name
    photo.save()
    return photo


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
