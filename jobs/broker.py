"""What the broker holds for jobs: which jobs have a task message in a queue or in a worker's hands.

Beat's sweeper asks before it sends a queued or waiting job again: a job whose message is there (queued
behind others, or held by a worker until its countdown) is only waiting its turn; one whose message is
nowhere was lost (Redis down when it was queued, a restore from a backup) and would wait for ever.
"""

import base64
import json

from celery import current_app

from jobs.models import Job


def _job_id(message: dict, job_tasks: set[str]) -> int | None:
    """The id of the job a task message runs (every job task takes it first), or None for any other task."""
    try:
        if message["headers"]["task"] not in job_tasks:
            return None
        return json.loads(base64.b64decode(message["body"]))[0][0]
    except (KeyError, ValueError, TypeError, IndexError):
        return None


def jobs_with_messages() -> set[int]:
    """Ids of the jobs with a task message in Redis: queued (at any priority) or reserved by a worker
    (a retry's countdown included). Raises kombu's OperationalError when the broker does not answer."""
    current_app.loader.import_default_modules()  # every app's tasks (a worker's are imported already)
    job_tasks = {name for name, task in current_app.tasks.items() if getattr(task, "runs_job", False)}
    messages = []
    with current_app.connection_for_read() as connection:
        channel = connection.default_channel
        for queue in set(Job.QUEUES.values()):
            for priority in channel.priority_steps:
                messages += [
                    json.loads(raw) for raw in channel.client.lrange(channel._q_for_pri(queue, priority), 0, -1)
                ]
        # A reserved message is kept there as [message, exchange, routing key] until it is acknowledged.
        messages += [json.loads(raw)[0] for raw in channel.client.hvals(channel.unacked_key)]
    return {job_id for message in messages if (job_id := _job_id(message, job_tasks)) is not None}
