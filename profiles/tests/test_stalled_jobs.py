"""Beat's sweeper: a running job whose worker stopped reporting is sent again, or failed with a sentence."""

from datetime import timedelta

from django.utils import timezone

from jobs.models import Job
from jobs.services.jobs import jobs_sweep
from jobs.tasks import run_sync_job
from photosearch.celery import app as celery_app
from profiles.models import Post
from profiles.tests.factories import make_photo, make_post, make_profile, settled
from profiles.tests.fake_instagram import media
from search.indexing import photos_index_queue


def stalled(job: Job, *, task_id="task-of-a-dead-worker", minutes=60) -> Job:
    """The job as a worker that died `minutes` ago left it: running, its heartbeat stopped."""
    job.claim(task_id)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=minutes))
    job.refresh_from_db()
    return job


def sync_job() -> Job:
    return Job.objects.create(kind=Job.Kind.SYNC, profile=make_profile("natgeotravel"))


def test_it_touches_the_heartbeat_at_every_step_of_a_job(db):
    job = sync_job()
    job.claim("a-task")
    first = job.heartbeat_at
    job.report_progress(1, 10)
    assert first is not None and job.heartbeat_at > first


def test_it_sends_a_stalled_sync_again_and_a_worker_finishes_it(fake_instagram, signed_in, scrape_worker):
    fake_instagram.add_profile(posts=[media(f"C9post{n:05d}", 1717000000 - n * 1000, f"Post {n}") for n in range(3)])
    job = stalled(sync_job())
    assert jobs_sweep() == {"requeued": 1, "failed": 0}
    job = settled(job, timeout=20)
    assert (job.status, job.message, job.requeues) == (Job.Status.DONE, "3 new posts.", 1)
    assert Post.objects.count() == 3


def test_the_old_delivery_cannot_take_a_job_back_once_it_was_sent_again(db):
    job = stalled(sync_job())
    jobs_sweep()
    assert run_sync_job.apply(args=[job.pk], task_id="task-of-a-dead-worker").get() is None
    job.refresh_from_db()
    assert job.celery_task_id != "task-of-a-dead-worker"
    assert job.heartbeat_at > timezone.now() - timedelta(minutes=1)  # the new delivery's clock runs from now


def test_it_leaves_a_job_whose_worker_still_reports_alone(db, settings):
    job = stalled(sync_job(), minutes=1)
    assert settings.JOB_STALLED_SECONDS > 60
    assert jobs_sweep() == {"requeued": 0, "failed": 0}
    job.refresh_from_db()
    assert (job.status, job.requeues, job.celery_task_id) == (Job.Status.RUNNING, 0, "task-of-a-dead-worker")


def test_it_fails_a_job_that_stopped_its_worker_too_often_with_a_sentence(db, settings):
    settings.JOB_MAX_REQUEUES = 2
    job = stalled(sync_job())
    Job.objects.filter(pk=job.pk).update(requeues=2)
    assert jobs_sweep() == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert (job.status, job.message) == (
        Job.Status.FAILED,
        "The worker running this job stopped 3 times (out of memory, or killed); "
        "an admin can see the worker's log and retry it.",
    )
    assert jobs_sweep() == {"requeued": 0, "failed": 0}  # safe to run twice


def test_a_stalled_index_job_sends_again_only_the_photos_no_batch_counted(
    db, ml_queue, settings, django_capture_on_commit_callbacks
):
    settings.INDEX_BATCH_SIZE = 2
    post = make_post(profile=make_profile("sailor"))
    photos = [make_photo(post=post, position=n) for n in range(1, 6)]
    job = photos_index_queue(photo_ids=[p.pk for p in photos], profile=post.profile)
    job.claim("first-batch")
    job.job_photos.filter(photo__in=photos[:2]).update(counted=True)  # the first batch was counted
    stalled(job, task_id="first-batch")
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep() == {"requeued": 1, "failed": 0}
    assert [ids for _, (job_id, ids) in ml_queue()] == [[photos[2].pk, photos[3].pk], [photos[4].pk]]


def test_beat_sweeps_stalled_jobs_on_its_schedule(settings):
    entry = celery_app.conf.beat_schedule["sweep-stalled-jobs"]
    assert (entry["task"], entry["schedule"]) == ("profiles.tasks.sweep_stalled_jobs", settings.JOB_SWEEP_SECONDS)
    assert settings.JOB_STALLED_SECONDS > settings.CELERY_TASK_TIME_LIMIT
    assert celery_app.conf.task_reject_on_worker_lost is True


def test_a_task_that_killed_its_worker_too_often_fails_its_job_instead_of_looping(db, settings):
    settings.JOB_MAX_REQUEUES = 2
    job = stalled(sync_job(), minutes=0)
    Job.objects.filter(pk=job.pk).update(requeues=2)
    # The broker hands the task back once more (Redis flags what it restores), as after each death.
    run_sync_job.push_request(id="task-of-a-dead-worker", delivery_info={"redelivered": True})
    try:
        assert run_sync_job.run(job.pk) is None
    finally:
        run_sync_job.pop_request()
    job.refresh_from_db()
    assert (job.status, job.message) == (Job.Status.FAILED, Job.worker_died_message(3))
    assert job.message.startswith("The worker running this job stopped 3 times (out of memory, or killed)")
