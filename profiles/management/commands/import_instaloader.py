"""python manage.py import_instaloader PATH [--profile USERNAME]"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from profiles.services.imports import folder_import


class Command(BaseCommand):
    help = "Import a folder written by `instaloader PROFILE` (images, metadata, captions). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The folder instaloader wrote, e.g. ./natgeotravel")
        parser.add_argument("--profile", default="", help="The profile's username, if not the folder's")

    def handle(self, *args, path, profile, **options):
        try:
            report = folder_import(path=Path(path), username=profile, progress=self.progress)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        for problem in report.problems:
            self.stderr.write(f"Skipped {problem}")
        self.stdout.write(
            f"{report.posts} posts read: {report.new_posts} new posts, {report.new_photos} new photos, "
            f"{len(report.problems)} files skipped."
        )

    def progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done == total else ""
        self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} posts", ending=end)
        self.stderr.flush()
