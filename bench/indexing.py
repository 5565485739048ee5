"""Indexing throughput: photos per second through the whole pipeline, and through its first pass alone.

Models have the default architectures with RANDOM weights at their real shapes (speed depends on
shape only; no weights can be downloaded here): SigLIP base patch32-256 (google/siglip2-base-patch32-256),
BLIP base (Salesforce/blip-image-captioning-base, made to write 20 tokens a photo), and a 12-layer,
384-wide BERT with a 250k vocabulary (intfloat/multilingual-e5-small). The reader (OCR) is the real
one, RapidOCR with the PP-OCRv6 small models its wheel ships; ocr_photos_per_s is its stage alone.

Every run indexes the same photos (1080 px JPEGs, as Instagram serves them, with Flickr8k captions)
through the same code, on the embedded PostgreSQL, from photos never indexed:
- baseline: both passes (search.indexing.photos_index), one photo at a time, fp32;
- pipeline: both passes at once, in batches of INDEX_BATCH_SIZE (8), in the best dtype this CPU runs
  natively (bf16 with AVX-512 BF16/AMX);
- searchable: the first pass alone (photos_index_searchable: what makes a photo searchable, what an
  index job waits for), same batches and dtype; then the second pass (photos_describe) on its output,
  so that two_passes_photos_per_s is the queued path's cost, both passes as separate tasks.
Models are loaded and warmed up before any run is timed. searchable_ratio is searchable_photos_per_s
over pipeline_photos_per_s: how much sooner a profile is searchable than described.

Videos: reels of 720x1280 at 30 frames a second (MPEG-4 Part 2, which OpenCV's bundled FFmpeg writes;
Instagram serves H.264, which it decodes at a similar cost), each a few scenes cut at random times, the
camera panning across each. Each is sampled as the ml worker samples it (profiles.services.videos: decode,
scene changes, frames stored and hashed), then its frames go through both passes in batches, as above.
video_seconds_per_s is the seconds of video so indexed per second, sampling_video_seconds_per_s the
sampling alone, frames_per_video_minute the frames kept per minute of video.

    .venv/bin/python bench/indexing.py [--photos 16] [--videos 3] [--video-seconds 20]

The last line is one JSON object with the figures.
"""

import io
import random
import time
from collections import defaultdict
from pathlib import Path

import harness

MODELS = harness.ROOT / "bench" / "out" / "models"
FLICKR = harness.FLICKR8K / "Flickr8k.token.txt"
# The default models' shapes, as the tiny models' builders take them ({}: the architecture's own default).
SIGLIP_BASE_PATCH32_256 = {"image_size": 256, "patch_size": 32}
E5_SMALL = {"hidden_size": 384, "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 1536,
            "max_position_embeddings": 512}  # fmt: skip


def build_models() -> dict[str, Path]:
    """Random-weight models of the default architectures, saved once under bench/out/models."""
    from search.tests.tiny_models import build_blip, build_siglip, build_text_embedder, vocabulary

    words = caption_words()
    paths = {
        "image_text": MODELS / "siglip-base-patch32-256",
        "describer": MODELS / "blip-base",
        "text": MODELS / "e5-small",
    }
    if not (paths["image_text"] / "config.json").exists():
        build_siglip(paths["image_text"], words=vocabulary(256_000, words), text={}, vision=SIGLIP_BASE_PATCH32_256)
    if not (paths["describer"] / "config.json").exists():
        build_blip(paths["describer"], words=vocabulary(30_524, words), text={}, vision={})
    if not (paths["text"] / "config.json").exists():
        build_text_embedder(paths["text"], words=vocabulary(250_037, words), text=E5_SMALL)
    return paths


def caption_words() -> list[str]:
    counts = defaultdict(int)
    for line in FLICKR.read_text().splitlines():
        for word in line.split("\t")[1].lower().split():
            counts[word] += 1
    return sorted(counts, key=counts.get, reverse=True)[:20_000]


def photo_jpeg(seed: int) -> bytes:
    """A 1080x1080 JPEG with smooth colour and grain, about as costly to decode as a real photo."""
    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    small = Image.new("RGB", (12, 12))
    small.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(144)])
    image = small.resize((1080, 1080), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((1080, 1080), 40).convert("RGB").filter(ImageFilter.GaussianBlur(1))
    buffer = io.BytesIO()
    Image.blend(image, grain, 0.25).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def make_photos(count: int) -> list[int]:
    from datetime import UTC, datetime

    from django.core.files.base import ContentFile

    from profiles.models import InstagramProfile, Photo, Post

    captions = [line.split("\t")[1] for line in FLICKR.read_text().splitlines() if "#0\t" in line]
    profile = InstagramProfile.objects.create(username="bench")
    ids = []
    for number in range(count):
        post = Post.objects.create(
            profile=profile, shortcode=f"Bench{number:04d}", taken_at=datetime(2024, 1, 1, tzinfo=UTC),
            caption=f"{captions[number]} #travel #summer{number}", location_name="Lisbon, Portugal",
        )  # fmt: skip
        photo = Photo(
            post=post, position=1, sha256=f"{number:064d}", alt_text=f"May be an image of {captions[-number]}"
        )
        photo.image.save(f"{number}.jpg", ContentFile(photo_jpeg(number), name=f"{number}.jpg"), save=False)
        photo.save()
        ids.append(photo.pk)
    return ids


def reel_mp4(seed: int, seconds: int, path: Path) -> None:
    """A reel: 720x1280 at 30 fps, 3 to 5 scenes cut at random times, each panning sideways."""
    import cv2
    import numpy as np
    from PIL import Image

    rng = random.Random(seed)
    cuts = sorted(rng.uniform(1, seconds - 1) for _ in range(rng.randint(2, 4)))
    scenes = []
    for _ in range(len(cuts) + 1):
        small = Image.new("RGB", (6, 10))
        small.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(60)])
        scenes.append(np.asarray(small.resize((1440, 1280), Image.Resampling.BICUBIC))[:, :, ::-1].copy())
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (720, 1280))
    for index in range(seconds * 30):
        scene = sum(index / 30 >= cut for cut in cuts)
        pan = (index * 4) % 720
        writer.write(np.ascontiguousarray(scenes[scene][:, pan : pan + 720]))
    writer.release()


def make_videos(count: int, seconds: int) -> list[int]:
    """Video posts of `seconds` each, their video stored as a sync stores it; the posts' ids."""
    import tempfile
    from datetime import UTC, datetime

    from django.core.files.base import ContentFile

    from core.videos import video_check
    from profiles.models import InstagramProfile, Post

    profile = InstagramProfile.objects.create(username="benchreels")
    ids = []
    for number in range(count):
        with tempfile.TemporaryDirectory() as folder:
            reel_mp4(number, seconds, Path(folder) / "reel.mp4")
            checked = video_check((Path(folder) / "reel.mp4").read_bytes())
        post = Post.objects.create(
            profile=profile, shortcode=f"Reel{number:04d}", taken_at=datetime(2024, 1, 1, tzinfo=UTC),
            kind=Post.Kind.VIDEO, caption="A day out #reels", video_seconds=checked.seconds,
        )  # fmt: skip
        post.video.save("video.mp4", ContentFile(checked.data, name="video.mp4"))
        ids.append(post.pk)
    return ids


def timed_videos(post_ids: list[int], batch_size: int) -> dict:
    """Each video sampled into frames, then its frames through both passes; the figures of the videos."""
    from profiles.models import Post
    from profiles.services.videos import video_frames_store

    Post.objects.filter(pk__in=post_ids).update(video_sampled_at=None)
    started = time.perf_counter()
    frame_ids = [pk for post_id in post_ids for pk in video_frames_store(post_id=post_id)]
    sampling_s = time.perf_counter() - started
    indexing_s, stages = timed_run(frame_ids, batch_size, forget=False)
    seconds = sum(Post.objects.filter(pk__in=post_ids).values_list("video_seconds", flat=True))
    return {
        "video_seconds_per_s": round(seconds / (sampling_s + indexing_s), 3),
        "sampling_video_seconds_per_s": round(seconds / sampling_s, 2),
        "frames_per_video_minute": round(len(frame_ids) * 60 / seconds, 1),
        "video_frames": len(frame_ids),
        "video_seconds": seconds,
        "video_stages_s": {"sampling": round(sampling_s, 2)} | {stage: round(s, 2) for stage, s in stages.items()},
    }


def forget_outputs() -> None:
    """Both runs start from photos never indexed: no model output, no thumbnail made yet."""
    import shutil

    from django.conf import settings

    from profiles.models import Photo

    Photo.objects.update(
        image_embedding_model="", description_model="", text_embedding_model="", ocr_model="", image_hashes=[],
        description="", ocr_text="", indexed_at=None, describe_queued_at=None,
    )  # fmt: skip
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "thumbnails", ignore_errors=True)


def load_models(dtype: str) -> str:
    from django.conf import settings

    from search.ml import registry, runtime

    settings.ML_DTYPE = dtype
    registry.forget()
    for role in ("image_text", "describer", "text", "reader"):
        registry.get(role)
    describer = registry.get("describer")
    # Random weights stop at no particular token: make every description 20 tokens, like a real one.
    describer.model.generation_config.min_new_tokens = describer.model.generation_config.max_new_tokens = 20
    describer.max_new_tokens = 20
    return str(runtime.dtype(runtime.device())).removeprefix("torch.")


def timed_run(ids: list[int], batch_size: int, index=None, *, forget: bool = True) -> tuple[float, dict[str, float]]:
    """Seconds to run `index` (both passes by default) over the photos in batches, and per stage."""
    from search.indexing import photos_index

    index = index or photos_index
    if forget:
        forget_outputs()
    stages = defaultdict(float)
    started = time.perf_counter()
    for start in range(0, len(ids), batch_size):
        result = index(photo_ids=ids[start : start + batch_size])
        assert len(result.indexed) == len(ids[start : start + batch_size]), result.failed
        for stage, seconds in result.stages.items():
            stages[stage] += seconds
    return time.perf_counter() - started, dict(stages)


def main() -> None:
    parser = harness.parser(__doc__)
    parser.add_argument("--photos", type=int, default=16)
    parser.add_argument("--videos", type=int, default=3)
    parser.add_argument("--video-seconds", type=int, default=20)
    args = harness.start(parser)
    import logging
    import tempfile

    from django.conf import settings

    logging.getLogger("search").setLevel(logging.WARNING)
    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-media-")
    with harness.test_database("bench_photosearch"):
        paths = build_models()
        settings.IMAGE_TEXT_MODEL, settings.DESCRIPTION_MODEL, settings.TEXT_MODEL = map(str, paths.values())
        settings.OCR_ENGINE = "rapidocr"
        warmup = make_photos(args.photos + 2)
        ids, warmup = warmup[:-2], warmup[-2:]
        batch_size = settings.INDEX_BATCH_SIZE

        load_models("fp32")
        timed_run(warmup, 1)
        baseline_s, baseline_stages = timed_run(ids, 1)

        dtype = load_models("auto")
        timed_run(warmup, 2)
        pipeline_s, stages = timed_run(ids, batch_size)

        from search.indexing import photos_describe, photos_index_searchable

        timed_run(warmup, 2, photos_index_searchable)
        searchable_s, searchable_stages = timed_run(ids, batch_size, photos_index_searchable)
        described_s, described_stages = timed_run(ids, batch_size, photos_describe, forget=False)

        videos = timed_videos(make_videos(args.videos, args.video_seconds), batch_size) if args.videos else {}

    figures = {
        "pipeline_photos_per_s": round(len(ids) / pipeline_s, 3),
        "baseline_photos_per_s": round(len(ids) / baseline_s, 3),
        "ratio": round(baseline_s / pipeline_s, 2),
        "image_embed_per_s": round(len(ids) / stages["image_embedding"], 2),
        "ocr_photos_per_s": round(len(ids) / stages["reading"], 2),
        "stages_s": {stage: round(seconds, 2) for stage, seconds in stages.items()},
        "baseline_stages_s": {stage: round(seconds, 2) for stage, seconds in baseline_stages.items()},
        "searchable_photos_per_s": round(len(ids) / searchable_s, 3),
        "searchable_ratio": round(pipeline_s / searchable_s, 2),
        "two_passes_photos_per_s": round(len(ids) / (searchable_s + described_s), 3),
        "searchable_stages_s": {stage: round(seconds, 2) for stage, seconds in searchable_stages.items()},
        "described_stages_s": {stage: round(seconds, 2) for stage, seconds in described_stages.items()},
        **videos,
        "photos": len(ids),
        "batch_size": batch_size,
        "pipeline_dtype": dtype,
        "weights": "random, at the real shapes of the default models",
    }
    print(
        f"baseline (1 photo a batch, fp32): {figures['baseline_photos_per_s']} photos/s {figures['baseline_stages_s']}"
    )
    print(
        f"pipeline ({batch_size} a batch, {dtype}): {figures['pipeline_photos_per_s']} photos/s {figures['stages_s']}"
    )
    print(
        f"first pass alone (searchable): {figures['searchable_photos_per_s']} photos/s, "
        f"{figures['searchable_ratio']}x the pipeline {figures['searchable_stages_s']}"
    )
    print(
        f"both passes as separate tasks: {figures['two_passes_photos_per_s']} photos/s "
        f"(second pass {figures['described_stages_s']})"
    )
    if videos:
        print(
            f"videos: {videos['video_seconds_per_s']} s of video indexed per s (sampling alone "
            f"{videos['sampling_video_seconds_per_s']}), {videos['frames_per_video_minute']} frames per minute "
            f"{videos['video_stages_s']}"
        )
    harness.report(figures)


if __name__ == "__main__":
    main()
