"""No job waits for ever: a job queued (or waiting past its time) whose task message Redis no longer holds is
sent again by beat's sweep, or failed with a sentence; one whose message waits its turn is left alone."""

import json
from base64 import b64decode
from datetime import timedelta

import pytest
import redis
from django.conf import settings as django_settings
from django.utils import timezone

from jobs.models import Job
from jobs.services import sync as sync_service
from jobs.tasks import sweep_stalled_jobs
from profiles.tests.factories import make_profile

pytestmark = pytest.mark.django_db(transaction=True)  # the messages are sent after commit, to the real Redis


@pytest.fixture
def scrape_queue(settings):
    """The job ids whose messages wait in the `scrape` queue (nothing consumes it here)."""
    settings.JOB_LOST_SECONDS = 60
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    client.delete("scrape", "unacked")

    def job_ids() -> list[int]:
        return [json.loads(b64decode(json.loads(raw)["body"]))[0][0] for raw in client.lrange("scrape", 0, -1)]

    job_ids.lose = lambda: client.delete("scrape")  # what a Redis restored from an older backup holds
    yield job_ids
    client.delete("scrape", "unacked")


def aged(job: Job, **changes) -> Job:
    """The job as it would be after two minutes without a change."""
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=2), **changes)
    job.refresh_from_db()
    return job


def queued_sync() -> Job:
    return sync_service.profile_sync_queue(profile=make_profile("natgeotravel"))


def test_a_queued_job_whose_message_waits_its_turn_is_left_alone(scrape_queue):
    job = aged(queued_sync())
    assert scrape_queue() == [job.pk]
    assert sweep_stalled_jobs.apply().get()["resent"] == 0
    assert scrape_queue() == [job.pk]


def test_a_queued_job_whose_message_was_lost_is_sent_again_once(scrape_queue):
    job = aged(queued_sync())
    scrape_queue.lose()
    assert sweep_stalled_jobs.apply().get()["resent"] == 1
    assert sweep_stalled_jobs.apply().get()["resent"] == 0  # sent: its message is there now, and it is fresh
    job.refresh_from_db()
    assert scrape_queue() == [job.pk]
    assert (job.status, job.requeues) == (Job.Status.QUEUED, 1)


def test_a_job_queued_a_moment_ago_is_never_taken_for_lost(scrape_queue):
    queued_sync()
    scrape_queue.lose()
    assert sweep_stalled_jobs.apply().get()["resent"] == 0  # its message may still be on its way


def test_a_job_waiting_past_its_time_without_a_message_is_sent_again(scrape_queue):
    job = queued_sync()
    scrape_queue.lose()
    job = aged(job, status=Job.Status.WAITING, wait_until=timezone.now() - timedelta(minutes=5))
    assert sweep_stalled_jobs.apply().get()["resent"] == 1
    assert scrape_queue() == [job.pk]


def test_a_job_waiting_for_instagram_until_later_is_left_alone(scrape_queue):
    job = queued_sync()
    scrape_queue.lose()
    aged(job, status=Job.Status.WAITING, wait_until=timezone.now() + timedelta(minutes=5))
    assert sweep_stalled_jobs.apply().get()["resent"] == 0


def test_a_job_lost_too_often_fails_with_a_sentence(scrape_queue, settings):
    settings.JOB_MAX_REQUEUES = 1
    job = aged(queued_sync(), requeues=1)
    scrape_queue.lose()
    assert sweep_stalled_jobs.apply().get()["lost"] == 1
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.message.startswith("This job's task was lost 2 times on its way to a worker")
