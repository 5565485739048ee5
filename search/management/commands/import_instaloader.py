"""python manage.py import_instaloader PATH [--profile USERNAME] [--index] [--track USERNAME]

In search, not profiles: with --index it runs both passes here, which profiles (below search) cannot import.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from profiles.models import Tracking
from profiles.services.imports import folder_import
from search.indexing import photos_describe_in_process, photos_index_in_process
from search.ml.errors import ModelUnavailable


class Command(BaseCommand):
    help = "Import a folder written by `instaloader PROFILE` (images, metadata, captions). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The folder instaloader wrote, e.g. ./natgeotravel")
        parser.add_argument("--profile", default="", help="The profile's username, if not the folder's")
        parser.add_argument(
            "--index",
            action="store_true",
            help="Index the profile's photos here, in this process, instead of queueing them for the ml worker.",
        )
        parser.add_argument("--track", metavar="USERNAME", help="Add the profile to this user's list.")

    def handle(self, *args, path, profile, index, track, **options):
        user = _user(track) if track else None  # before importing anything: a typo must not half-do the work
        try:
            report = folder_import(path=Path(path), username=profile, progress=self.bar("posts"), queue_index=not index)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        for problem in report.problems:
            self.stderr.write(_("Skipped %(problem)s") % {"problem": problem})
        read = _("%(posts)d posts read: %(new_posts)d new posts, %(new_photos)d new photos, %(skipped)d files skipped.")
        counts = {"posts": report.posts, "new_posts": report.new_posts, "new_photos": report.new_photos}
        self.stdout.write(read % {**counts, "skipped": len(report.problems)})
        if user:
            Tracking.objects.get_or_create(user=user, profile=report.profile)
            tracks = _("%(user)s tracks @%(username)s.")
            self.stdout.write(tracks % {"user": user.get_username(), "username": report.profile.username})
        if index:
            self._index(report.profile, user)

    def _index(self, profile, user) -> None:
        """Both passes here: every photo searchable first, then described (nothing is left for a worker)."""
        try:
            job = photos_index_in_process(profile=profile, requested_by=user, progress=self.bar("photos"))
        except ModelUnavailable as exc:
            not_indexed = _("The posts are imported, not indexed. %(why)s Then run this again.")
            raise CommandError(not_indexed % {"why": exc}) from None
        self.stdout.write(job.message if job else _("Every photo is indexed already: nothing to index."))
        try:
            described = photos_describe_in_process(profile=profile, progress=self.bar("photos described"))
        except ModelUnavailable as exc:
            not_described = _("The photos are searchable, not described. %(why)s Then run this again.")
            raise CommandError(not_described % {"why": exc}) from None
        if described:
            self.stdout.write(_("%(count)d photos described.") % {"count": described})

    def bar(self, unit: str):
        """A progress callback drawing `[#####.....] n/N unit` on stderr."""

        def progress(done: int, total: int) -> None:
            width = 30
            filled = width * done // max(total, 1)
            end = "\n" if done == total else ""
            self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {unit}", ending=end)
            self.stderr.flush()

        return progress


def _user(username: str):
    """The account named `username`; CommandError if there is none."""
    try:
        return get_user_model()._default_manager.get_by_natural_key(username)
    except get_user_model().DoesNotExist:
        raise CommandError(_("There is no user named %(name)r: nothing was imported.") % {"name": username}) from None
