"""Tasks of saved searches: thin adapters from ids to the services."""

from celery import shared_task

from alerts.digest import digest_send, users_with_digest
from alerts.matching import photos_notify


# On the ml queue (settings' routes): it embeds the saved queries, cached, as search does.
@shared_task(name="alerts.tasks.notify_saved_searches")
def notify_saved_searches(photo_ids: list[int]) -> dict:
    """Turn the photos of an index batch that saved searches match into notifications; safe to run twice."""
    return {"notifications": photos_notify(photo_ids=photo_ids)}


@shared_task(name="alerts.tasks.send_digests")
def send_digests() -> dict:
    """Beat, daily: one digest task per user who may have something to be told."""
    user_ids = users_with_digest()
    for user_id in user_ids:
        send_digest.delay(user_id)
    return {"users": len(user_ids)}


@shared_task(name="alerts.tasks.send_digest", autoretry_for=(OSError,), retry_backoff=60, max_retries=5)
def send_digest(user_id: int) -> dict:
    """E-mail one user their new notifications; a mail server that cannot be reached is tried again later."""
    return {"notifications": digest_send(user_id=user_id)}
