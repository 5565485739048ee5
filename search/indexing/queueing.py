"""Who does each pass, when: index jobs for the first pass, describe tasks for the second, or both here.

    photos_index_queue ──► Job (kind index) + batches on the ml queue ──► index_photos (first pass)
                                       │ each batch, once committed
                                       ▼
                           describe_photos on the describe queue (second pass), which an ml worker
                           takes only when the ml queue is empty (settings: queue_order_strategy)

An index job counts the first pass only: a profile is searchable when its job is done, however long
its descriptions take. A photo's `describe_queued_at` says its second pass is queued and not done yet.
"""

import traceback
from collections.abc import Callable
from datetime import datetime

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from kombu.exceptions import ChannelError

from jobs.models import Job, JobPhoto
from jobs.runner import job_send_on_commit
from profiles.models import Photo, Post
from profiles.services.videos import video_frames_store
from search.indexing.passes import (
    IndexResult,
    photos_describe,
    photos_index_searchable,
)
from search.ml.errors import ModelUnavailable
from search.signals import photos_indexed

# What an index job that stopped on an error nobody expected says (its traceback is kept for staff).
INDEX_FAILED = gettext_lazy("Indexing failed unexpectedly; an admin can see why and retry.")


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
        scope = Photo.objects.of_profile(job.profile_id)
        failed = scope.unreadable().count()
        indexed = max(job.progress_done - failed, 0)
        if failed:
            done = _("%(indexed)d photos indexed, %(failed)d could not be read.") % {
                "indexed": indexed,
                "failed": failed,
            }
        else:
            done = _("%(indexed)d photos indexed.") % {"indexed": indexed}
        job.finish(done)


def index_batch(*, job: Job, photo_ids: list[int], here: bool = False) -> tuple[IndexResult, int]:
    """The first pass over one batch of an index job, the one way an index batch runs (the ml worker's task,
    or `here` in this process): the photos made searchable, counted into the job, their second pass queued
    (unless `here`: the caller runs it once every batch is done), and saved searches told (search.signals).
    Returns the pass's result and how many second passes were queued; errors are the caller's to handle."""
    photo_ids = [*photo_ids, *videos_sample(job=job, photo_ids=photo_ids)]
    result = photos_index_searchable(photo_ids=photo_ids)
    job_record_batch(job=job, photo_ids=photo_ids)
    # Described later, on the describe queue, which waits while the ml queue has work.
    described = 0 if here else photos_describe_queue(photos=Photo.objects.filter(pk__in=photo_ids))
    # The batch's photos, searchable now, may be what a saved search waits for.
    photos_indexed.send(sender=Job, photo_ids=photo_ids, here=here)
    return result, described


def videos_sample(*, job: Job, photo_ids: list[int]) -> list[int]:
    """Sample the videos of these photos' posts that are not sampled yet (profiles.services.videos), each frame
    a new photo of its post, counted into the job with the batch; the frames' ids, for the batch to index."""
    posts = Post.objects.filter(photos__pk__in=photo_ids, video_sampled_at__isnull=True).exclude(video="")
    frame_ids = []
    for post_id in posts.order_by("pk").values_list("pk", flat=True).distinct():
        # The frames and their place in the job are written together: a worker killed between leaves neither.
        with transaction.atomic():
            if ids := video_frames_store(post_id=post_id):
                JobPhoto.objects.bulk_create([JobPhoto(job=job, photo_id=pk) for pk in ids], ignore_conflicts=True)
                Job.objects.filter(pk=job.pk).update(progress_total=F("progress_total") + len(ids))
            frame_ids += ids
    job.refresh_from_db()
    return frame_ids


def photos_stored_queue(*, profile, photos, **signal) -> Job | None:
    """An index job for those of `photos` no index job has (profiles.signals.photos_stored, sent by a sync
    or an import): new ones, and those an interrupted import stored without queuing them."""
    photo_ids = list(photos_never_queued(photos).order_by("pk").values_list("pk", flat=True))
    return photos_index_queue(photo_ids=photo_ids, profile=profile)


def photos_never_queued(photos):
    """Of these photos, those neither indexed nor failed nor waiting in an index job: left behind by a stop."""
    waiting = JobPhoto.objects.filter(job__status__in=Job.ACTIVE, counted=False).values("photo_id")
    return photos.filter(indexed_at__isnull=True, index_error="").exclude(pk__in=waiting)


def photos_index_queue(
    *, photo_ids: list[int] | None = None, profile=None, requested_by=None, retry_of: Job | None = None
) -> Job | None:
    """One index job for these photos, its batches queued on the ml queue once the transaction commits.

    Without photo_ids: the photos (of the profile, or all) that are not searchable by the configured
    models, those that failed included (they get another chance). None when there is nothing to do.
    Their second pass follows on its own: each batch queues it for its photos.
    """
    if photo_ids is None:
        photo_ids = photos_to_index(profile=profile)
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
        job_send_on_commit(index_photos, (job.pk, photo_ids[start : start + size]), **options)


def index_job_resend(*, job: Job, task_id: str) -> None:
    """Send a stalled index job's uncounted photos again, its first batch as `task_id` (jobs' sweeper)."""
    index_job_send(job=job, photo_ids=index_job_uncounted(job=job), task_id=task_id)


def index_job_uncounted(*, job: Job) -> list[int]:
    """The photos of an index job that none of its batches has counted yet."""
    return list(job.job_photos.filter(counted=False).order_by("photo_id").values_list("photo_id", flat=True))


def photos_to_index(*, profile) -> list[int]:
    """Photos (of the profile, or all) the first pass has to do; failed ones get another chance. The covers of
    videos not sampled yet (stored before their post's cover was indexed, or before videos were) come too:
    their batch samples them."""
    photos = Photo.objects.of_profile(profile)
    photos.unreadable().update(index_error="")
    unsampled = photos.filter(position=1, post__video_sampled_at__isnull=True).exclude(post__video="")
    return list((photos.not_searchable() | unsampled).order_by("pk").values_list("pk", flat=True).distinct())


def photos_describe_queue(*, photos, requeue_before: datetime | None = None) -> int:
    """Queue the second pass of those of `photos` that wait for it and are not queued yet; how many were queued.

    Queued means `describe_queued_at` is set: with `requeue_before`, a photo queued before then counts as
    not queued (its task was lost). Each photo is claimed by one caller (row locks, skipping those another
    caller holds), and its batches are sent once the transaction commits, on the describe queue.
    """
    from search.tasks import describe_photos  # the tasks module imports this one

    waiting = photos.awaiting_description()
    unqueued = waiting.filter(describe_queued_at__isnull=True)
    if requeue_before is not None:
        unqueued = unqueued | waiting.filter(describe_queued_at__lt=requeue_before)
    with transaction.atomic():
        claimed = unqueued.select_for_update(skip_locked=True, of=("self",)).order_by("pk")
        photo_ids = list(claimed.values_list("pk", flat=True))
        Photo.objects.filter(pk__in=photo_ids).update(describe_queued_at=timezone.now())
        size = settings.INDEX_BATCH_SIZE
        for start in range(0, len(photo_ids), size):
            describe_photos.delay_on_commit(photo_ids[start : start + size])
    return len(photo_ids)


def photos_describe_unavailable(*, photo_ids: list[int], exc: ModelUnavailable) -> None:
    """A second pass that could not load a model. One missing from this machine: its photos are not queued
    any more (their page stops waiting), and the sweep queues them once it is here. One here that does not
    load (or a reader that cannot run): they stay queued, and the sweep tries again after JOB_STALLED_SECONDS.
    """
    from search.ml.availability import HUB_ROLES, model_path

    if exc.role in HUB_ROLES and model_path(exc.name) is None:
        Photo.objects.filter(pk__in=photo_ids).update(describe_queued_at=None)


def describe_backlog() -> int:
    """How many second-pass batches wait in the describe queue, as the broker counts them (running ones not)."""
    from search.tasks import describe_photos

    # The project's Celery app (photosearch.celery), which every process sets up: search does not import it.
    queue = current_app.amqp.router.route({}, describe_photos.name)["queue"].name
    with current_app.connection_for_read() as connection:
        try:
            return connection.default_channel.queue_declare(queue=queue, passive=True).message_count
        except ChannelError:  # kombu's "no such queue": nothing was ever left waiting in it
            return 0


def photos_index_in_process(
    *, profile, requested_by=None, progress: Callable[[int, int], None] | None = None
) -> Job | None:
    """One index job for the photos of a profile that are not searchable yet, its first pass run here, batch
    by batch, without a worker (`import_instaloader --index`); None when there is nothing to do.

    The job ends done, cancelled (from the admin, or Ctrl-C) or failed, never left running; a missing
    model fails it and ModelUnavailable is raised again for the caller to say so.
    """
    photo_ids = photos_to_index(profile=profile)
    if not photo_ids:
        return None
    job = _index_job_create(photo_ids=photo_ids, profile=profile, requested_by=requested_by)
    job.claim()
    size = settings.INDEX_BATCH_SIZE
    for start in range(0, len(photo_ids), size):
        batch = photo_ids[start : start + size]
        try:
            index_batch(job=job, photo_ids=batch, here=True)
        except ModelUnavailable as exc:
            from search.ml.availability import model_path

            job.fail(str(exc), waits_for_models=model_path(exc.name) is None)
            raise
        except KeyboardInterrupt:
            job.cancel()
            raise
        except Exception:
            job.fail(INDEX_FAILED, error=traceback.format_exc())
            raise
        if progress:  # a video's frames join the job as its cover is indexed
            progress(job.progress_done, job.progress_total)
        if not job.is_active:  # done after the last batch, or cancelled from the admin meanwhile
            break
    return job


def photos_describe_in_process(*, profile, progress: Callable[[int, int], None] | None = None) -> int:
    """The second pass of the profile's searchable photos that wait for it, run here, batch by batch, once
    the first pass is done (`import_instaloader --index`); how many photos it described.

    Raises ModelUnavailable when a model is missing: the photos stay searchable, and wait for it.
    """
    waiting = Photo.objects.of_profile(profile).awaiting_description()
    photo_ids = list(waiting.order_by("pk").values_list("pk", flat=True))
    size, described = settings.INDEX_BATCH_SIZE, 0
    for start in range(0, len(photo_ids), size):
        batch = photo_ids[start : start + size]
        described += len(photos_describe(photo_ids=batch).indexed)
        photos_indexed.send(sender=Job, photo_ids=batch, here=True)
        if progress:
            progress(min(start + size, len(photo_ids)), len(photo_ids))
    return described
