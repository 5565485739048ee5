"""Saved searches end to end: a real Celery worker indexes an imported folder and notifies, through Redis."""

from alerts.models import Notification
from alerts.services import saved_search_create
from jobs.models import Job
from photosearch.celery import ping
from profiles.models import Photo, Tracking
from profiles.services.imports import folder_import
from profiles.tests.factories import make_profile, settled
from profiles.tests.test_import_instaloader import FOLDER
from search.indexing import photos_index_queue


def notified_posts(user) -> list[str]:
    return sorted(Notification.objects.for_user(user).values_list("photo__post__shortcode", flat=True))


def worker_caught_up():
    """Wait until the worker has run every task queued so far: it takes them in order, one at a time, the ml
    queue's first; then what the second passes queued (their notifications, on the ml queue)."""
    ping.apply_async(queue="describe").get(timeout=60)
    ping.apply_async(queue="ml").get(timeout=60)


def test_importing_posts_that_match_a_saved_search_notifies_them_once(celery_worker, tiny_models, user):
    Tracking.objects.create(user=user, profile=make_profile("natgeotravel"))
    # An exact hashtag: with tiny random models only the words mean anything (but a text of words they
    # cannot read at all, "Waves #ocean" before its description, reads as any other such: as "#travel").
    saved = saved_search_create(user=user, query="#travel")

    folder_import(path=FOLDER)
    settled(Job.objects.get(kind=Job.Kind.INDEX))
    worker_caught_up()
    notified = notified_posts(user)
    assert {"C7arabi0004", "C7emoji0001"} <= set(notified)
    assert set(notified) <= {"C7arabi0004", "C7emoji0001", "C7video0003"}

    # Indexed again (a change of models, say): the same photos notify nobody twice.
    Photo.objects.update(text_embedding_model="")
    settled(photos_index_queue(photo_ids=list(Photo.objects.values_list("pk", flat=True))))
    worker_caught_up()
    assert notified_posts(user) == notified
    assert saved.notifications.count() == len(notified)
