"""Understand photos in two passes: searchable first (vectors), described later (description, words read).

    passes.py    the work on one batch: photos_index_searchable (first pass), photos_describe (second),
                 photos_index (both at once); which photos each pass is done with
                 is profiles' to say (Photo.objects.not_searchable(), .awaiting_description(), photos_searchable())
    queueing.py  index jobs and their batches (ml queue), describe tasks (describe queue), or both here
    sweep.py     what beat queues every minute, and `manage.py reindex`

What the rest of the project uses is importable from here.
"""

from search.indexing.passes import (
    IndexResult,
    photo_text,
    photos_describe,
    photos_index,
    photos_index_searchable,
)
from search.indexing.queueing import (
    INDEX_FAILED,
    index_batch,
    index_job_resend,
    index_job_send,
    index_job_uncounted,
    job_record_batch,
    photos_describe_in_process,
    photos_describe_queue,
    photos_describe_unavailable,
    photos_index_in_process,
    photos_index_queue,
    photos_never_queued,
    photos_stored_queue,
)
from search.indexing.sweep import (
    ROLE_FIELDS,
    lost_before,
    photos_describe_stale,
    photos_index_stale,
    photos_reindex,
    profile_reindex,
)

__all__ = [
    "INDEX_FAILED",
    "ROLE_FIELDS",
    "IndexResult",
    "index_batch",
    "index_job_resend",
    "index_job_send",
    "index_job_uncounted",
    "job_record_batch",
    "lost_before",
    "photo_text",
    "photos_describe",
    "photos_describe_in_process",
    "photos_describe_queue",
    "photos_describe_stale",
    "photos_describe_unavailable",
    "photos_index",
    "photos_index_in_process",
    "photos_index_queue",
    "photos_index_searchable",
    "photos_index_stale",
    "photos_never_queued",
    "photos_reindex",
    "photos_stored_queue",
    "profile_reindex",
]
