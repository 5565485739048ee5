"""What alerts hears from search (search.signals), connected in AlertsConfig.ready."""

from alerts.matching import photos_notify
from alerts.tasks import notify_saved_searches


def saved_searches_match(*, photo_ids: list[int], here: bool = False, **signal) -> None:
    """A batch of photos went through a pass: match it against saved searches, on the ml worker once the
    batch commits; a batch indexed here, without a worker (`import_instaloader --index`), is matched here."""
    if not photo_ids:
        return
    if here:
        photos_notify(photo_ids=photo_ids)
    else:
        notify_saved_searches.delay_on_commit(photo_ids)
