"""The Celery app: configured once from Django's settings (the CELERY_ ones), tasks found in every app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "photosearch.settings")

app = Celery("photosearch")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="photosearch.ping", soft_time_limit=10, time_limit=15)
def ping() -> dict:
    """Answer from whichever worker took the message: proof that the queue it was sent to is served."""
    return {
        "worker": ping.request.hostname,
        "pid": os.getpid(),
        "queue": ping.request.delivery_info.get("routing_key", ""),
    }
