import pytest

from jobs.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def job():
    return Job.objects.create(kind=Job.Kind.SYNC)


def test_it_is_claimed_once(job):
    assert job.claim("task-1")
    assert not Job.objects.get(pk=job.pk).claim("task-2")
    job.refresh_from_db()
    assert (job.status, job.celery_task_id) == (Job.Status.RUNNING, "task-1")
    assert job.started_at is not None


def test_a_cancelled_job_is_not_claimed(job):
    assert job.cancel()
    assert not job.claim()
    assert job.status == Job.Status.CANCELLED


def test_progress_on_a_job_cancelled_meanwhile_tells_the_worker_to_stop(job):
    job.claim()
    Job.objects.get(pk=job.pk).cancel()  # an admin, in another process
    assert not job.report_progress(3, 10)
    assert job.status == Job.Status.CANCELLED
    assert job.progress_done == 0


def test_it_records_progress_while_running(job):
    job.claim()
    assert job.report_progress(3, 10)
    job.refresh_from_db()
    assert (job.progress_done, job.progress_total) == (3, 10)


def test_a_waiting_job_is_claimed_again_when_its_wait_ends(job):
    job.claim()
    assert job.wait(until=job.created_at, message="Waiting for Instagram until 14:05")
    assert job.status == Job.Status.WAITING
    assert job.claim()
    assert job.wait_until is None


def test_a_finished_job_can_neither_fail_nor_be_cancelled(job):
    job.claim()
    assert job.finish("12 new posts")
    assert not job.fail("too late")
    assert not job.cancel()
    job.refresh_from_db()
    assert (job.status, job.message) == (Job.Status.DONE, "12 new posts")
    assert job.finished_at is not None


def test_a_failure_keeps_its_message_and_its_detail(job):
    job.claim()
    assert job.fail("This profile is private.", error="Traceback ...")
    job.refresh_from_db()
    assert (job.status, job.message, job.error) == (Job.Status.FAILED, "This profile is private.", "Traceback ...")
