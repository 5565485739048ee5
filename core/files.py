"""Stored files removed with their rows: once the deletion commits, never before (a rolled-back delete
keeps its files), from local folders and buckets alike (whatever storage the file's field uses)."""

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def file_delete_on_commit(storage, name: str) -> None:
    """Remove `name` from `storage` once the current transaction commits (at once outside one).

    A failure (the bucket unreachable) is logged, never raised into the delete that was asked for:
    `manage.py media_orphans` finds what was left behind.
    """
    if not name:
        return

    def delete():
        try:
            storage.delete(name)
        except Exception as exc:  # any storage error means the same here: the file stays, an orphan
            log.warning("%s could not be removed (%s): manage.py media_orphans will find it.", name, exc)

    transaction.on_commit(delete)
