"""Understand photos: describe them, read the words in them, hash them, embed their image and text, and store it all.

`photos_index` takes one batch of photo ids (an ml task's worth): it decodes each image once,
runs each model once on the whole batch, and writes every result in one transaction. A photo
whose image cannot be decoded fails alone, with its reason; a photo already indexed by the
configured models is skipped. Running it twice on the same ids does the work once.
"""

import logging
import re
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from profiles.images import ImageRefused
from profiles.models import Job, Photo
from search import perceptual
from search.imaging import load_for_models
from search.ml.errors import ModelUnavailable
from search.thumbnails import ensure_thumbnail

log = logging.getLogger(__name__)


@dataclass
class IndexResult:
    indexed: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    skipped: list[int] = field(default_factory=list)
    # Seconds spent in each stage: decode, hashing, image_embedding, description, reading, text_embedding, database.
    stages: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def current_models() -> dict[str, str]:
    return {
        "image_embedding_model": settings.IMAGE_TEXT_MODEL,
        "description_model": settings.DESCRIPTION_MODEL,
        "text_embedding_model": settings.TEXT_MODEL,
        "ocr_model": settings.OCR_ENGINE,
    }


def photos_up_to_date() -> Q:
    """Photos hashed, with every output from the configured models (of the roles on), or that failed for good."""
    done = {field: name for field, name in current_models().items() if name}
    return Q(**done, image_hashes__len__gt=0) | ~Q(index_error="")


def photos_index(*, photo_ids: list[int]) -> IndexResult:
    """Index one batch of photos with the configured models; see the module's docstring."""
    from search.ml import registry  # torch is imported by the ml worker only, on its first batch

    result = IndexResult()
    models = current_models()
    photos = Photo.objects.filter(pk__in=photo_ids)
    result.skipped = list(photos.filter(photos_up_to_date()).values_list("pk", flat=True))
    pending = list(photos.exclude(pk__in=result.skipped).select_related("post").order_by("pk"))
    if not pending:
        return result

    # An empty model setting turns that role off (a text-only install, or a benchmark without images).
    needs_image = [
        p
        for p in pending
        if models["image_embedding_model"] and p.image_embedding_model != models["image_embedding_model"]
    ]
    needs_description = [
        p for p in pending if models["description_model"] and p.description_model != models["description_model"]
    ]
    needs_reading = [p for p in pending if models["ocr_model"] and p.ocr_model != models["ocr_model"]]
    needs_hashes = [p for p in pending if not p.image_hashes]

    started = time.perf_counter()
    decoded = {}
    for photo in {p.pk: p for p in needs_image + needs_description + needs_reading + needs_hashes}.values():
        try:
            with photo.image.open("rb") as file:
                decoded[photo.pk] = load_for_models(file)
            ensure_thumbnail(photo, decoded[photo.pk])  # decoded already: the gallery never decodes originals
        except (ImageRefused, OSError) as exc:  # OSError: the file is gone from storage
            result.failed[photo.pk] = str(exc) if isinstance(exc, ImageRefused) else f"image file unreadable ({exc})"
    result.stages["decode"] += time.perf_counter() - started
    pending = [p for p in pending if p.pk not in result.failed]
    if not pending:
        _save(pending, result)
        return result

    # Load every model before writing anything: a missing one fails the job, not half the photos.
    image_text = registry.get("image_text") if needs_image else None
    describer = registry.get("describer") if needs_description else None
    reader = registry.get("reader") if needs_reading else None
    text_embedder = registry.get("text")

    with _stage(result, "hashing"):
        for photo in needs_hashes:
            if photo.pk in decoded:
                photo.image_hashes = perceptual.stored_hashes(decoded[photo.pk])
                photo.image_hash_bands = perceptual.hash_bands(photo.image_hashes)

    with _stage(result, "image_embedding"):
        batch = [p for p in needs_image if p.pk in decoded]
        if batch:
            for photo, vector in zip(batch, image_text.embed_images([decoded[p.pk] for p in batch]), strict=True):
                photo.image_embedding, photo.image_embedding_model = vector, image_text.name

    with _stage(result, "description"):
        batch = [p for p in needs_description if p.pk in decoded]
        if batch:
            for photo, text in zip(batch, describer.describe([decoded[p.pk] for p in batch]), strict=True):
                photo.description, photo.description_model = text, describer.name
                photo.text_embedding_model = ""  # its text changed: embed it again below

    with _stage(result, "reading"):
        batch = [p for p in needs_reading if p.pk in decoded]
        if batch:
            for photo, text in zip(batch, reader.read([decoded[p.pk] for p in batch]), strict=True):
                if text != photo.ocr_text:
                    photo.text_embedding_model = ""  # its text changed: embed it again below
                photo.ocr_text, photo.ocr_model = text, reader.name

    with _stage(result, "text_embedding"):
        batch = [p for p in pending if p.text_embedding_model != models["text_embedding_model"]]
        if batch:
            for photo, vector in zip(batch, text_embedder.embed_passages([photo_text(p) for p in batch]), strict=True):
                photo.text_embedding, photo.text_embedding_model = vector, text_embedder.name

    _save(pending, result)
    log.info(
        "Indexed %d photos (%d failed, %d skipped) in %s",
        len(result.indexed),
        len(result.failed),
        len(result.skipped),
        ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in result.stages.items()),
    )
    return result


def _save(indexed: list[Photo], result: IndexResult) -> None:
    """Write a batch's outputs and failures together: all of them or, on any error, none."""
    with _stage(result, "database"), transaction.atomic():
        now = timezone.now()
        for photo in indexed:
            photo.indexed_at, photo.index_error = now, ""
        Photo.objects.bulk_update(
            indexed,
            [
                "image_embedding", "image_embedding_model", "description", "description_model",
                "ocr_text", "ocr_model", "image_hashes", "image_hash_bands",
                "text_embedding", "text_embedding_model", "indexed_at", "index_error",
            ],
        )  # fmt: skip
        for photo_id, reason in result.failed.items():
            Photo.objects.filter(pk=photo_id).update(index_error=reason[:1000], indexed_at=None)
    result.indexed = [photo.pk for photo in indexed]


class _stage:
    """Adds the time spent in a `with` block to one stage of an IndexResult."""

    def __init__(self, result: IndexResult, name: str):
        self.result, self.name = result, name

    def __enter__(self):
        self.started = time.perf_counter()

    def __exit__(self, *exc):
        self.result.stages[self.name] += time.perf_counter() - self.started


_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _tag_words(tag: str) -> str:
    # "RedBoat_sunset" -> "Red Boat sunset": a tag reads as the words it is made of.
    return _CAMEL.sub(" ", tag.replace("_", " "))


def photo_text(photo: Photo) -> str:
    """The text of a photo that the text embedder reads: what it shows, the words in it, then what its post says."""
    post = photo.post
    parts = [
        photo.description,
        photo.alt_text,
        photo.ocr_text,
        _HASHTAG.sub(lambda match: _tag_words(match.group(1)), post.caption),
        # Tags Instagram lists but the caption does not show (in a first comment, say).
        " ".join(_tag_words(tag) for tag in post.hashtags if f"#{tag}" not in post.caption),
        post.location_name,
    ]
    return ". ".join(part.strip() for part in parts if part and part.strip())


def job_record_batch(*, job: Job, photo_ids: list[int]) -> None:
    """Count a batch into its job's progress; the batch that completes the job finishes it."""
    if not job.advance(len(photo_ids)) or job.progress_done < (job.progress_total or 0):
        return
    scope = Photo.objects.filter(post__profile=job.profile_id) if job.profile_id else Photo.objects.all()
    failed = scope.exclude(index_error="").count()
    indexed = max(job.progress_done - failed, 0)
    job.finish(f"{indexed} photos indexed" + (f", {failed} could not be read" if failed else "") + ".")


def photos_index_queue(
    *, photo_ids: list[int] | None = None, profile=None, requested_by=None, retry_of: Job | None = None
) -> Job | None:
    """One index job for these photos, its batches queued on the ml queue once the transaction commits.

    Without photo_ids: the photos (of the profile, or all) that the configured models have not
    indexed, those that failed included (they get another chance). None when there is nothing to do.
    """
    from search.tasks import index_photos  # the tasks module imports this one

    if photo_ids is None:
        photo_ids = _photos_to_index(profile=profile)
    if not photo_ids:
        return None
    job = Job.objects.create(
        kind=Job.Kind.INDEX,
        profile=profile,
        requested_by=requested_by,
        retry_of=retry_of,
        progress_total=len(photo_ids),
    )
    size = settings.INDEX_BATCH_SIZE
    for start in range(0, len(photo_ids), size):
        index_photos.delay_on_commit(job.pk, photo_ids[start : start + size])
    return job


def photos_index_in_process(
    *, profile, requested_by=None, progress: Callable[[int, int], None] | None = None
) -> Job | None:
    """One index job for the photos of a profile that the configured models have not indexed, run here,
    batch by batch, without a worker (`import_instaloader --index`); None when there is nothing to do.

    The job ends done, cancelled (from the admin, or Ctrl-C) or failed, never left running; a missing
    model fails it and ModelUnavailable is raised again for the caller to say so.
    """
    photo_ids = _photos_to_index(profile=profile)
    if not photo_ids:
        return None
    job = Job.objects.create(
        kind=Job.Kind.INDEX, profile=profile, requested_by=requested_by, progress_total=len(photo_ids)
    )
    job.claim()
    size = settings.INDEX_BATCH_SIZE
    for start in range(0, len(photo_ids), size):
        batch = photo_ids[start : start + size]
        try:
            photos_index(photo_ids=batch)
        except ModelUnavailable as exc:
            job.fail(str(exc))
            raise
        except KeyboardInterrupt:
            job.cancel()
            raise
        except Exception:
            job.fail("Indexing failed unexpectedly; an admin can see why and retry.", error=traceback.format_exc())
            raise
        job_record_batch(job=job, photo_ids=batch)
        if progress:
            progress(job.progress_done, len(photo_ids))
        if not job.is_active:  # done after the last batch, or cancelled from the admin meanwhile
            break
    return job


def _photos_to_index(*, profile) -> list[int]:
    """Photos (of the profile, or all) the configured models have not indexed; failed ones get another chance."""
    photos = Photo.objects.filter(post__profile=profile) if profile else Photo.objects.all()
    photos.exclude(index_error="").update(index_error="")
    return list(photos.exclude(photos_up_to_date()).order_by("pk").values_list("pk", flat=True))


ROLE_FIELDS = {
    "image_text": ["image_embedding_model"],
    # A new description changes the photo's text, so its text vector is redone too.
    "describer": ["description_model", "text_embedding_model"],
    "text": ["text_embedding_model"],
    # The words read are part of the photo's text too.
    "reader": ["ocr_model", "text_embedding_model"],
}


def photos_reindex(*, roles: list[str], force: bool = False, requested_by=None) -> Job | None:
    """Queue every photo that the configured models have not indexed (with force: every photo, for these roles).

    Old outputs stay readable until replaced; searches only compare vectors of the configured
    models, so nothing is ever mixed meanwhile. Photos that failed are tried again.
    """
    from search import schema

    schema.resize_columns()
    with transaction.atomic():
        if force:
            Photo.objects.update(**{name: "" for role in roles for name in ROLE_FIELDS[role]})
        return photos_index_queue(requested_by=requested_by)
