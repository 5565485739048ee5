"""The two passes over a batch of photos: first searchable, then described.

    first pass (ml queue; what an index job counts)      second pass (describe queue; after the first)
      decode, thumbnail, perceptual hashes                  decode
      image-text vector                                     generated description, words read (OCR)
      text vector of what the post says                     text vector again, when the text changed
      --> searchable: both vectors and full text            --> described

The first pass is the quick one (the describer alone takes most of the time of both), so a profile
is searchable long before it is described. Each pass decodes each image once, runs each model once
on the whole batch, and writes what it owns in one transaction. A photo whose image cannot be decoded
fails alone, with its reason; a photo the pass has nothing left to do for is skipped. Running a pass
twice on the same ids does the work once. `photos_index` runs both at once (one decode, one text
vector): for benchmarks and tests that want a photo fully indexed in one call.
"""

import logging
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core import perceptual
from core.images import ImageRefused, load_for_models
from profiles.models import Photo, current_models, photos_described, photos_searchable
from search import ranking_cache
from search.thumbnails import ensure_thumbnail

log = logging.getLogger(__name__)

# The fields each pass writes, and only those: the two passes of one photo may run side by side.
SEARCHABLE_FIELDS = [
    "image_embedding", "image_embedding_model", "image_hashes", "image_hash_bands",
    "text_embedding", "text_embedding_model", "indexed_at", "index_error",
]  # fmt: skip
DESCRIBED_FIELDS = [
    "description", "description_model", "ocr_text", "ocr_model",
    "text_embedding", "text_embedding_model", "describe_queued_at",
]  # fmt: skip


@dataclass
class IndexResult:
    indexed: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    skipped: list[int] = field(default_factory=list)
    # Seconds spent in each stage: decode, thumbnail, hashing, image_embedding, description, reading,
    # text_embedding, database.
    stages: dict[str, float] = field(default_factory=lambda: defaultdict(float))


def photos_index_searchable(*, photo_ids: list[int]) -> IndexResult:
    """The first pass over one batch: what makes the photos searchable; see the module's docstring."""
    return _index(photo_ids, searchable=True, described=False)


def photos_describe(*, photo_ids: list[int]) -> IndexResult:
    """The second pass over one batch: the description, the words read, and the text vector made again."""
    return _index(photo_ids, searchable=False, described=True)


def photos_index(*, photo_ids: list[int]) -> IndexResult:
    """Both passes over one batch at once, each image decoded once and each text embedded once."""
    return _index(photo_ids, searchable=True, described=True)


def _index(photo_ids: list[int], *, searchable: bool, described: bool) -> IndexResult:
    from search.ml import registry  # torch is imported by the ml worker only, on its first batch

    result = IndexResult()
    models = current_models()
    done = (photos_searchable() if searchable else Q()) & (photos_described() if described else Q())
    photos = Photo.objects.filter(pk__in=photo_ids)
    result.skipped = list(photos.filter(done).values_list("pk", flat=True))
    pending = list(photos.exclude(pk__in=result.skipped).select_related("post").order_by("pk"))
    if not pending:
        return result

    def needing(output: str) -> list[Photo]:
        # An empty model setting turns that role off (a text-only install, or a benchmark without images).
        return [p for p in pending if models[output] and getattr(p, output) != models[output]]

    needs_image = needing("image_embedding_model") if searchable else []
    needs_hashes = [p for p in pending if not p.image_hashes] if searchable else []
    # A video's frames other than its most representative ones are read, not described (Photo.describe).
    needs_description = [p for p in needing("description_model") if p.describe] if described else []
    needs_reading = needing("ocr_model") if described else []
    text_before = {p.pk: photo_text(p) for p in pending}

    decoded = _decode(needs_image + needs_hashes + needs_description + needs_reading, result, thumbnails=searchable)
    pending = [p for p in pending if p.pk not in result.failed]
    if not pending:
        _save([], result, fields=[])
        return result

    # Load every model before writing anything: a missing one fails the batch, not half its photos.
    image_text = registry.get("image_text") if needs_image else None
    describer = registry.get("describer") if needs_description else None
    reader = registry.get("reader") if needs_reading else None
    text_embedder = registry.get("text")

    # Each stage runs on the decoded photos that need it, and is timed only when it has any.
    if batch := [p for p in needs_hashes if p.pk in decoded]:
        with _stage(result, "hashing"):
            for photo in batch:
                photo.image_hashes = perceptual.stored_hashes(decoded[photo.pk])
                photo.image_hash_bands = perceptual.hash_bands(photo.image_hashes)

    if batch := [p for p in needs_image if p.pk in decoded]:
        with _stage(result, "image_embedding"):
            for photo, vector in zip(batch, image_text.embed_images([decoded[p.pk] for p in batch]), strict=True):
                photo.image_embedding, photo.image_embedding_model = vector, image_text.name

    if batch := [p for p in needs_description if p.pk in decoded]:
        with _stage(result, "description"):
            for photo, text in zip(batch, describer.describe([decoded[p.pk] for p in batch]), strict=True):
                photo.description, photo.description_model = text, describer.name

    if batch := [p for p in needs_reading if p.pk in decoded]:
        with _stage(result, "reading"):
            for photo, text in zip(batch, reader.read([decoded[p.pk] for p in batch]), strict=True):
                photo.ocr_text, photo.ocr_model = text, reader.name

    # Embedded again only when its text changed (a description came) or another model made its vector.
    text_model = models["text_embedding_model"]
    if batch := [p for p in pending if p.text_embedding_model != text_model or photo_text(p) != text_before[p.pk]]:
        with _stage(result, "text_embedding"):
            for photo, vector in zip(batch, text_embedder.embed_passages([photo_text(p) for p in batch]), strict=True):
                photo.text_embedding, photo.text_embedding_model = vector, text_embedder.name

    now = timezone.now()
    for photo in pending:
        if searchable:
            photo.indexed_at, photo.index_error = now, ""
        if described:
            photo.describe_queued_at = None  # done: no second pass waits for it any more
    fields = (SEARCHABLE_FIELDS if searchable else []) + (DESCRIBED_FIELDS if described else [])
    # The first pass alone reads a description it does not write: the second pass may write one meanwhile.
    _save(pending, result, fields=list(dict.fromkeys(fields)), keep_newer_text=searchable and not described)
    log.info(
        "%s %d photos (%d failed, %d skipped) in %s",
        "Indexed" if searchable and described else "Made searchable" if searchable else "Described",
        len(result.indexed),
        len(result.failed),
        len(result.skipped),
        ", ".join(f"{stage} {seconds:.2f}s" for stage, seconds in result.stages.items()),
    )
    return result


def _decode(photos: list[Photo], result: IndexResult, *, thumbnails: bool) -> dict:
    """Each photo's image as the models read it, once; those that cannot be decoded go to result.failed."""
    decoded = {}
    for photo in {p.pk: p for p in photos}.values():
        try:
            with _stage(result, "decode"), photo.image.open("rb") as file:
                decoded[photo.pk] = load_for_models(file)
            if thumbnails:  # the first pass makes it: the gallery never decodes an original
                with _stage(result, "thumbnail"):
                    ensure_thumbnail(photo, decoded[photo.pk])
        except (ImageRefused, OSError) as exc:  # OSError: the file is gone from storage
            result.failed[photo.pk] = str(exc) if isinstance(exc, ImageRefused) else f"image file unreadable ({exc})"
    return decoded


def _save(photos: list[Photo], result: IndexResult, *, fields: list[str], keep_newer_text: bool = False) -> None:
    """Write a batch's outputs and failures together: all of them or, on any error, none."""
    with _stage(result, "database"), transaction.atomic():
        transaction.on_commit(ranking_cache.renew_generation)  # searches kept from before would miss these photos
        if keep_newer_text:
            _keep_newer_text_vectors(photos)
        if photos:
            Photo.objects.bulk_update(photos, fields)
        for photo_id, reason in result.failed.items():
            Photo.objects.filter(pk=photo_id).update(index_error=reason[:1000], indexed_at=None)
    result.indexed = [photo.pk for photo in photos]


def _keep_newer_text_vectors(photos: list[Photo]) -> None:
    """Where the second pass changed a photo's text since the first read it, keep the second's text vector.

    The rows stay locked until the batch is written: the two passes of one photo (on two workers) never
    leave a vector of an older text marked as current.
    """
    ours = {p.pk: p for p in photos}
    rows = Photo.objects.select_for_update().filter(pk__in=list(ours)).order_by("pk")
    for row in rows.only("description", "ocr_text", "text_embedding", "text_embedding_model"):
        photo = ours[row.pk]
        if (row.description, row.ocr_text) != (photo.description, photo.ocr_text):
            photo.text_embedding, photo.text_embedding_model = row.text_embedding, row.text_embedding_model


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
    """The text of a photo that the text embedder reads: what it shows, the words in it, then what its post says.

    Before the second pass, the description and the words read are not there yet: the post's own words are.
    """
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
