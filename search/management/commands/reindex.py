from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from search.indexing import photos_reindex
from search.ml.errors import ROLE_NAMES


class Command(BaseCommand):
    help = "Index again every photo that the configured models have not indexed (after a change of model)."

    def add_arguments(self, parser):
        parser.add_argument("--role", choices=list(ROLE_NAMES), action="append", help="Only this role (repeatable).")
        parser.add_argument("--force", action="store_true", help="Redo these roles even where the model is the same.")

    def handle(self, *args, role, force, **options):
        from search import schema

        for column, (old, new) in schema.columns_to_resize().items():
            resized = _("%(column)s: vectors of %(old)d dimensions are dropped, the column now takes %(new)d.")
            self.stdout.write(resized % {"column": column, "old": old, "new": new})
        job, described = photos_reindex(roles=role or list(ROLE_NAMES), force=force)
        if job is None and not described:
            self.stdout.write(_("Every photo is indexed by the configured models: nothing to do."))
        if job is not None:
            queued = _("Queued %(count)d photos for indexing (job #%(job)d); the ml worker does the rest.")
            self.stdout.write(queued % {"count": job.progress_total, "job": job.pk})
        if described:
            queued = _("Queued %(count)d searchable photos for their description and reading.")
            self.stdout.write(queued % {"count": described})
