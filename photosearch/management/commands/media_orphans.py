from datetime import timedelta

from django.core.management.base import BaseCommand

from photosearch.media import media_orphans, media_orphans_delete


class Command(BaseCommand):
    help = (
        "List the media files (local or in the bucket) that no row names any more; with --delete, remove them. "
        "Only files older than --older-than hours count: a newer one may belong to a row not committed yet."
    )

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="Remove them (without it, nothing is removed).")
        parser.add_argument("--older-than", type=float, default=24, metavar="HOURS", help="Default: 24.")

    def handle(self, *args, delete, older_than, **options):
        orphans = media_orphans(older_than=timedelta(hours=older_than))
        for name, size in orphans:
            self.stdout.write(f"{name} ({size:,} bytes)")
        total = sum(size for _, size in orphans)
        if not delete:
            advice = ": run again with --delete to remove them" if orphans else ""
            self.stdout.write(f"{len(orphans)} orphaned files, {total:,} bytes{advice}.")
            return
        removed = media_orphans_delete([name for name, _ in orphans])
        self.stdout.write(f"{removed} orphaned files removed, {total:,} bytes.")
