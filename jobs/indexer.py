"""The indexer's plug: index jobs are rows of this app, but the app that indexes photos (search) sits above
it. That app registers its two entry points here in its AppConfig.ready, so that retrying an index job,
re-indexing a profile from the admin and sending a stalled index job again never import it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Indexer:
    # reindex(*, profile, requested_by, retry_of) -> Job | None: queue the photos (of the profile, or all)
    # that the configured models have not indexed; None when there are none. JobRefused while some are.
    reindex: Callable
    # resend(*, job, task_id): send a stalled index job's uncounted photos again, its first batch as task_id.
    resend: Callable


_indexer: Indexer | None = None


def indexer_register(plugged: Indexer) -> None:
    """Plug the indexer in (search's AppConfig.ready); registering again replaces it."""
    global _indexer
    _indexer = plugged


def indexer() -> Indexer:
    if _indexer is None:
        raise ImproperlyConfigured("No app registered an indexer: is 'search' in INSTALLED_APPS?")
    return _indexer
