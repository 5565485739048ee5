"""A video post's frames: its stored video sampled (core.videos) and each frame kept as a photo of the post.

A frame is a Photo like any other, with its `video_time`: the two passes, search by a photo, the ranking
(one result per post, its best photo), saved searches and the API all take it as they take a carousel's
slide. The cover stays the post's first photo. This runs in the ml worker (search.indexing samples a
video post's video as it indexes its cover), once per video.
"""

import io
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.images import image_check
from core.videos import Frame, Sampling, VideoRefused, video_file, video_frames
from profiles.models import Photo, Post
from profiles.services.ingest import photo_store

log = logging.getLogger(__name__)

# The frames are stored as JPEGs of this quality: read by the models, shown in a result.
FRAME_QUALITY = 85
# How many frames of a video the describer describes (its most representative: the largest scene changes,
# then frames spread over the rest); the reader reads them all. Describing is most of indexing's time.
DESCRIBED_FRAMES = 4


def video_frames_store(*, post_id: int) -> list[int]:
    """Sample the post's video into at most VIDEO_FRAMES frames, each stored as a photo of the post; the new ids.

    Once per video, safe to run twice: the post's row is locked, and marked sampled in the transaction
    that stores its frames. A video that cannot be read now (its file gone, say) is marked sampled with
    no frame: its cover still stands for it.
    """
    written, storage = [], Photo.image.field.storage
    try:
        with transaction.atomic():
            post = (
                Post.objects.select_for_update(of=("self",))
                .select_related("profile")
                .filter(pk=post_id, video_sampled_at__isnull=True)
                .exclude(video="")
                .first()
            )
            if post is None:
                return []
            sampling = _sampled(post)
            position = post.photos.aggregate(last=Max("position"))["last"] or 0
            ids, described = [], representative(sampling.frames, DESCRIBED_FRAMES)
            for offset, frame in enumerate(sampling.frames, start=1):
                buffer = io.BytesIO()
                frame.image.save(buffer, format="JPEG", quality=FRAME_QUALITY)
                image = image_check(buffer.getvalue())
                photo = photo_store(
                    post=post, position=position + offset, image=image, video_time=frame.seconds, written=written,
                    describe=offset - 1 in described,
                )  # fmt: skip
                ids.append(photo.pk)
            post.video_sampled_at = timezone.now()
            post.save(update_fields=["video_sampled_at"])
    except Exception:
        for name in written:
            storage.delete(name)
        raise
    return ids


def representative(frames: list[Frame], count: int) -> set[int]:
    """The indexes of the `count` most representative frames: the largest scene changes, then frames spread
    evenly over the others."""
    changes = sorted((i for i, frame in enumerate(frames) if frame.change > 0), key=lambda i: -frames[i].change)
    chosen = set(changes[:count])
    rest = [i for i in range(len(frames)) if i not in chosen]
    wanted = min(count - len(chosen), len(rest))
    return chosen | {rest[j * len(rest) // wanted] for j in range(wanted)} if wanted > 0 else chosen


def _sampled(post: Post) -> Sampling:
    try:
        with post.video.open("rb") as file, video_file(file) as path:
            return video_frames(path, frames_max=settings.VIDEO_FRAMES, time_limit=settings.VIDEO_SAMPLE_SECONDS)
    except (VideoRefused, OSError) as exc:
        log.warning("The video of %s cannot be sampled: %s", post.shortcode, exc)
        return Sampling()
