"""What beat does every INDEX_SWEEP_SECONDS, `manage.py reindex` and the admin's re-index: queue what the
configured models have not done, for each pass, once the models that pass needs are on this machine."""

import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from jobs.models import Job
from jobs.services.jobs import JobRefused
from profiles.models import InstagramProfile, Photo
from search.indexing.queueing import describe_backlog, photos_describe_queue, photos_index_queue

log = logging.getLogger(__name__)

# The models each pass loads: a pass waits only for its own (a missing describer never holds up search).
SEARCHABLE_ROLES = ("image_text", "text")
DESCRIBED_ROLES = ("describer", "text")

# Any number, the same in every process: the sweep's lock, so that two sweeps never queue the same photos.
_SWEEP_LOCK = 7_401_263


def _models_missing(roles) -> bool:
    from search.ml.availability import models_missing

    return any(model.role in roles for model in models_missing())


def photos_index_stale() -> list[Job]:
    """Queue the photos that are not searchable by the configured models, one index job per profile, once
    the first pass's models are on this machine (Celery beat, every INDEX_SWEEP_SECONDS).

    This is how photos whose first try found no model get indexed when the models appear (downloaded
    later, or a model setting changed): no other command. Left out: photos that failed for good
    (unreadable image), those of a profile with an active job (an index job has them; a sync or an
    import queues what it adds), and those of a profile whose latest index job was cancelled or failed
    with a traceback (unexpectedly, or on a model that is here but does not load): a person decides,
    and the admin's retry or re-index queues them. Nothing stale costs one query; running it twice
    queues nothing more.
    """
    from search import schema

    if _models_missing(SEARCHABLE_ROLES):
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
    return Photo.objects.not_searchable().exclude(Exists(busy)).exclude(Exists(stopped))


def photos_describe_stale() -> int:
    """Queue the second pass of searchable photos left waiting for it, once its models are on this machine
    (beat, with photos_index_stale); how many photos were queued.

    Two kinds: those never queued (a new describer or reader was configured, or the model was missing
    when their pass ran), queued at once; and those queued longer ago than JOB_STALLED_SECONDS (past the
    hard time limit) while nothing waits in the describe queue: their task was lost (its worker died,
    Redis lost it), since a task still waiting would be in the queue and a running one would be done.
    Behind a long backlog nothing is sent twice; running it twice queues nothing more.
    """
    waiting = Photo.objects.awaiting_description()
    if _models_missing(DESCRIBED_ROLES) or not waiting.exists():
        return 0
    cutoff = lost_before()
    lost = waiting.filter(describe_queued_at__lt=cutoff).exists() and describe_backlog() == 0
    queued = photos_describe_queue(photos=waiting, requeue_before=cutoff if lost else None)
    if queued:
        log.info("Queued the description of %d photos left waiting for it.", queued)
    return queued


def lost_before():
    """Second passes queued before then, not done and not waiting in the queue, were lost: a task taken from
    the queue ends within the hard time limit, which JOB_STALLED_SECONDS outlasts."""
    return timezone.now() - timedelta(seconds=settings.JOB_STALLED_SECONDS)


ROLE_FIELDS = {
    "image_text": ["image_embedding_model"],
    # The second pass embeds the text again when the description or the words read change it.
    "describer": ["description_model"],
    "text": ["text_embedding_model"],
    "reader": ["ocr_model"],
}


def photos_reindex(*, roles: list[str], force: bool = False, requested_by=None) -> tuple[Job | None, int]:
    """Queue every photo that the configured models have not indexed (with force: every photo, for these
    roles): an index job for the first pass, describe tasks for the second. The job (or None) and how many
    photos the second pass was queued for.

    Old outputs stay readable until replaced; searches only compare vectors of the configured
    models, so nothing is ever mixed meanwhile. Photos that failed are tried again.
    """
    from search import schema

    schema.resize_columns()
    with transaction.atomic():
        if force:
            Photo.objects.update(**{name: "" for role in roles for name in ROLE_FIELDS[role]})
        job = photos_index_queue(requested_by=requested_by)
        # The job's photos get their second pass from its batches; those searchable already, from here.
        described = photos_describe_queue(photos=Photo.objects.all(), requeue_before=lost_before())
        return job, described


def profile_reindex(*, profile: InstagramProfile | None, requested_by=None, retry_of: Job | None = None) -> Job | None:
    """Queue the photos (of the profile, or all) that the configured models have not indexed, failed ones
    included: an index job for those not searchable (None if there are none), and the second pass of those
    searchable but not described. JobRefused while the profile's photos are being indexed."""
    with transaction.atomic():
        if profile is not None:
            # The profile's row is the lock: two clicks on "re-index" queue one job between them.
            InstagramProfile.objects.select_for_update().filter(pk=profile.pk).first()
            if profile.jobs.of_kind(Job.Kind.INDEX).active().exists():
                raise JobRefused(f"Photos of @{profile.username} are being indexed already.")
        job = photos_index_queue(profile=profile, requested_by=requested_by, retry_of=retry_of)
        photos = Photo.objects.of_profile(profile)
        photos_describe_queue(photos=photos, requeue_before=lost_before())
        return job
