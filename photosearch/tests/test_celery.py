import os

import pytest
from celery.contrib.testing.worker import start_worker

from photosearch import health
from photosearch.celery import app, ping


def test_a_task_goes_through_redis_to_a_real_worker_and_back(celery_worker):
    answer = ping.apply_async(queue="ml").get(timeout=10)
    # The worker runs in a thread of this process: the answer came from it, through the ml queue.
    assert (answer["pid"], answer["queue"]) == (os.getpid(), "ml")


def test_each_queue_is_served(celery_worker):
    workers = health.queue_workers(timeout=10)
    assert set(workers) == {"scrape", "ml", "describe"}
    assert all(workers.values())


@pytest.mark.django_db(transaction=True)
def test_a_queue_without_a_worker_is_reported_as_such():
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, queues=["scrape"]):
        workers = health.queue_workers(timeout=2)
    assert workers["scrape"]
    assert workers["ml"] is None


def test_tasks_speak_json_only_and_are_acknowledged_when_done():
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_serializer == "json"
    assert app.conf.task_acks_late is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit
