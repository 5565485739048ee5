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
from core.videos import Sampling, VideoRefused, video_file, video_frames
from profiles.models import Photo, Post
from profiles.services.ingest import photo_store

log = logging.getLogger(__name__)

# The frames are stored as JPEGs of this quality: read by the models, shown in a result.
FRAME_QUALITY = 85


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
            ids = []
            for offset, frame in enumerate(sampling.frames, start=1):
                buffer = io.BytesIO()
                frame.image.save(buffer, format="JPEG", quality=FRAME_QUALITY)
                image = image_check(buffer.getvalue())
                photo = photo_store(
                    post=post, position=position + offset, image=image, video_time=frame.seconds, written=written
                )
                ids.append(photo.pk)
            post.video_sampled_at = timezone.now()
            post.save(update_fields=["video_sampled_at"])
    except Exception:
        for name in written:
            storage.delete(name)
        raise
    return ids


def _sampled(post: Post) -> Sampling:
    try:
        with post.video.open("rb") as file, video_file(file) as path:
            return video_frames(path, frames_max=settings.VIDEO_FRAMES, time_limit=settings.VIDEO_SAMPLE_SECONDS)
    except (VideoRefused, OSError) as exc:
        log.warning("The video of %s cannot be sampled: %s", post.shortcode, exc)
        return Sampling()
