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
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from profiles.images import ImageRefused
from profiles.models import InstagramProfile, Job, JobPhoto, Photo
from search import perceptual
from search.imaging import load_for_models
from search.ml.errors import ModelUnavailable
from search.thumbnails import ensure_thumbnail

log = logging.getLogger(__name__)

# What an index job that stopped on an error nobody expected says (its traceback is kept for staff).
INDEX_FAILED = "Indexing failed unexpectedly; an admin can see why and retry."


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
    """Count a batch into its job's progress, each photo once; the batch that completes the job finishes it.

    A photo is counted by the first batch that gets here with it: a batch delivered twice (its worker
    died before acknowledging it, or the sweeper sent it again) counts nothing the second time.
    """
    with transaction.atomic():
        # The UPDATE locks the rows it changes: two deliveries of one batch cannot both count a photo.
        new = JobPhoto.objects.filter(job=job, photo_id__in=photo_ids, counted=False).update(counted=True)
        if not new and not job.job_photos.exists():
            new = len(photo_ids)  # a job queued before photos were listed per job: counted as before
        if not job.advance(new) or job.progress_done < (job.progress_total or 0):
            return
        scope = Photo.objects.filter(post__profile=job.profile_id) if job.profile_id else Photo.objects.all()
        failed = scope.exclude(index_error="").count()
        indexed = max(job.progress_done - failed, 0)
        job.finish(f"{indexed} photos indexed" + (f", {failed} could not be read" if failed else "") + ".")


def photos_never_queued(photos):
    """Of these photos, those neither indexed nor failed nor waiting in an index job: left behind by a stop."""
    waiting = JobPhoto.objects.filter(job__status__in=Job.ACTIVE, counted=False).values("photo_id")
    return photos.filter(indexed_at__isnull=True, index_error="").exclude(pk__in=waiting)


def photos_index_queue(
    *, photo_ids: list[int] | None = None, profile=None, requested_by=None, retry_of: Job | None = None
) -> Job | None:
    """One index job for these photos, its batches queued on the ml queue once the transaction commits.

    Without photo_ids: the photos (of the profile, or all) that the configured models have not
    indexed, those that failed included (they get another chance). None when there is nothing to do.
    """
    if photo_ids is None:
        photo_ids = _photos_to_index(profile=profile)
    photo_ids = list(dict.fromkeys(photo_ids))  # each photo once, in order
    if not photo_ids:
        return None
    job = _index_job_create(photo_ids=photo_ids, profile=profile, requested_by=requested_by, retry_of=retry_of)
    index_job_send(job=job, photo_ids=photo_ids)
    return job


def _index_job_create(*, photo_ids: list[int], profile, requested_by=None, retry_of: Job | None = None) -> Job:
    """An index job listing its photos, so that its batches count each photo once (job_record_batch)."""
    with transaction.atomic():
        job = Job.objects.create(
            kind=Job.Kind.INDEX,
            profile=profile,
            requested_by=requested_by,
            retry_of=retry_of,
            progress_total=len(photo_ids),
        )
        JobPhoto.objects.bulk_create([JobPhoto(job=job, photo_id=pk) for pk in photo_ids], ignore_conflicts=True)
    return job


def index_job_send(*, job: Job, photo_ids: list[int], task_id: str = "") -> None:
    """Queue the job's batches of these photos on the ml queue once the transaction commits.

    `task_id` names the first batch (the sweeper's new delivery, which alone may reclaim the job)."""
    from search.tasks import index_photos  # the tasks module imports this one

    size = settings.INDEX_BATCH_SIZE
    for start in range(0, len(photo_ids), size):
        options = {"task_id": task_id} if task_id and start == 0 else {}
        index_photos.apply_async_on_commit((job.pk, photo_ids[start : start + size]), **options)


def index_job_uncounted(*, job: Job) -> list[int]:
    """The photos of an index job that none of its batches has counted yet."""
    return list(job.job_photos.filter(counted=False).order_by("photo_id").values_list("photo_id", flat=True))


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
    job = _index_job_create(photo_ids=photo_ids, profile=profile, requested_by=requested_by)
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
            job.fail(INDEX_FAILED, error=traceback.format_exc())
            raise
        job_record_batch(job=job, photo_ids=batch)
        _saved_searches_notify(photo_ids=batch)
        if progress:
            progress(job.progress_done, len(photo_ids))
        if not job.is_active:  # done after the last batch, or cancelled from the admin meanwhile
            break
    return job


def _saved_searches_notify(*, photo_ids: list[int]) -> None:
    """Saved searches: a batch indexed here, without a worker, is matched here too (else the ml worker does it)."""
    from alerts.matching import photos_notify  # alerts reads search's services, which read this module

    photos_notify(photo_ids=photo_ids)


def _photos_to_index(*, profile) -> list[int]:
    """Photos (of the profile, or all) the configured models have not indexed; failed ones get another chance."""
    photos = Photo.objects.filter(post__profile=profile) if profile else Photo.objects.all()
    photos.exclude(index_error="").update(index_error="")
    return list(photos.exclude(photos_up_to_date()).order_by("pk").values_list("pk", flat=True))


# Any number, the same in every process: the sweep's lock, so that two sweeps never queue the same photos.
_SWEEP_LOCK = 7_401_263


def photos_index_stale() -> list[Job]:
    """Queue the photos the configured models have not indexed, one index job per profile, once every
    configured model is on this machine (Celery beat, every INDEX_SWEEP_SECONDS).

    This is how photos whose first try found no model get indexed when the models appear (downloaded
    later, or a model setting changed): no other command. Left out: photos that failed for good
    (unreadable image), those of a profile with an active job (an index job has them; a sync or an
    import queues what it adds), and those of a profile whose latest index job was cancelled or failed
    with a traceback (unexpectedly, or on a model that is here but does not load): a person decides,
    and the admin's retry or re-index queues them. Nothing stale costs one query; running it twice
    queues nothing more.
    """
    from search import schema
    from search.ml.availability import models_missing

    if models_missing():
        return []
    if not _stale_photos().exists():
        return []
    if schema.columns_to_resize():
        log.warning("A model's vectors changed size: run `manage.py reindex` to remake the column and index them.")
        return []
    with transaction.atomic():
        with connection.cursor() as cursor:  # held until the transaction ends, when the jobs are visible
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_SWEEP_LOCK])
            if not cursor.fetchone()[0]:
                return []  # another sweep is at it
        by_profile = defaultdict(list)
        for photo_id, profile_id in _stale_photos().order_by("pk").values_list("pk", "post__profile_id"):
            by_profile[profile_id].append(photo_id)
        profiles = InstagramProfile.objects.in_bulk(list(by_profile))
        return [photos_index_queue(photo_ids=ids, profile=profiles[pk]) for pk, ids in sorted(by_profile.items())]


def _stale_photos():
    profile = OuterRef("post__profile")
    busy = Job.objects.active().filter(Q(profile=profile) | Q(profile__isnull=True, kind=Job.Kind.INDEX))
    latest_index = Job.objects.of_kind(Job.Kind.INDEX).filter(profile=OuterRef(profile)).order_by("-created_at")[:1]
    # Someone cancelled it, or it failed with a traceback (a model that was not here leaves none).
    stopped = Job.objects.filter(pk__in=latest_index.values("pk")).filter(
        Q(status=Job.Status.CANCELLED) | Q(status=Job.Status.FAILED) & ~Q(error="")
    )
    return Photo.objects.exclude(photos_up_to_date()).exclude(Exists(busy)).exclude(Exists(stopped))


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
