from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from search.ml.errors import ROLE_NAMES

FIX = ".venv/bin/python manage.py download_models"


class Command(BaseCommand):
    help = "Download the configured models (image-text embedder, describer, text embedder) ahead of time."

    def add_arguments(self, parser):
        parser.add_argument("--role", choices=list(ROLE_NAMES), action="append", help="Only this role (repeatable).")
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="Fetch only the models not on this machine; when that fails (offline), say so and exit 0 (make run).",
        )

    def handle(self, *args, role, if_missing, **options):
        from django.conf import settings
        from huggingface_hub import constants

        from search.ml.availability import configured_models, model_path
        from search.ml.download import DownloadFailed, fetch

        kept = _("Models are kept in the Hugging Face cache, %(cache)s, or in local folders.")
        self.stdout.write(kept % {"cache": constants.HF_HUB_CACHE})
        if role and "reader" in role and settings.OCR_ENGINE:
            ready = _("%(model)s: ready, its models come with its package")
            self.stdout.write(ready % {"model": f"{ROLE_NAMES['reader']} {settings.OCR_ENGINE}"})
        failures, unreachable = [], False
        models = configured_models([each for each in role if each != "reader"] if role else None)
        for model in models:
            # A local folder is used as it is; without --if-missing, the hub is asked whether a cached model changed.
            if (if_missing or Path(model.name).is_dir()) and (path := model_path(model.name)):
                self.stdout.write(_("%(model)s: ready in %(path)s") % {"model": model, "path": path})
                continue
            if unreachable:  # one try is enough to know the hub cannot be reached
                failures.append(model)
                if not if_missing:
                    self.stderr.write(
                        _("%(model)s: not tried, the Hugging Face hub cannot be reached.") % {"model": model}
                    )
                continue
            self.stdout.write(_("%(model)s: fetching from the Hugging Face hub...") % {"model": model})
            self.stdout.flush()
            try:
                path = fetch(model.name)
            except DownloadFailed as exc:
                failures.append(model)
                unreachable = exc.unreachable
                if not (if_missing and unreachable):  # the paragraph below says it all
                    self.stderr.write(f"  {exc}")
                continue
            # Offline, huggingface_hub hands back what the cache holds: only a complete snapshot counts.
            if model_path(model.name) is None:
                failures.append(model)
                self.stderr.write("  " + _("%(model)s: the download did not complete.") % {"model": model.name})
                continue
            self.stdout.write("  " + _("ready in %(path)s") % {"path": path})
        self._prepare_query_encoders([model for model in models if model not in failures])
        if failures and if_missing:
            self.stdout.write(self.style.WARNING(self._missing_paragraph(failures, unreachable=unreachable)))
        elif failures:
            raise CommandError(
                ngettext("%(count)d model could not be downloaded.", "%(count)d models could not be downloaded.",
                         len(failures)) % {"count": len(failures)}
            )  # fmt: skip

    def _prepare_query_encoders(self, models) -> None:
        """Export the search queries' int8 encoders now, so that the first search does not wait for them."""
        from search.ml import query_encoders, registry
        from search.ml.availability import model_path

        models = [model for model in models if model.role in ("image_text", "text")]
        if not models or registry.query_mode() != "int8":
            return
        for model in models:
            if (path := model_path(model.name)) is None:
                continue
            self.stdout.write(_("%(model)s: its query encoder (int8, ONNX Runtime)...") % {"model": model})
            self.stdout.flush()
            try:
                folder = query_encoders.prepared(model.role, model.name, path)
            except (query_encoders.ExportFailed, OSError) as exc:
                # Not a failure: search then encodes this model's queries in full precision.
                not_made = _("not made (%(error)s); queries to it will be encoded in full precision.")
                self.stderr.write("  " + not_made % {"error": exc})
                continue
            self.stdout.write("  " + _("ready in %(path)s") % {"path": folder})

    def _missing_paragraph(self, missing, *, unreachable: bool) -> str:
        names = "; ".join(str(model) for model in missing)
        why = (
            _("the Hugging Face hub cannot be reached")
            if unreachable
            else _("they could not be downloaded (see above)")
        )
        paragraph = _(
            "\nphotosearch starts without these models, because %(why)s: %(names)s. Until they are here, "
            "photos wait to be indexed and search may use words only. To fetch them (about 3 GB for the default "
            "models), run this once you are online:\n\n    %(fix)s\n\nThe waiting photos are then indexed by "
            "themselves, within a minute, with no other command (the app may keep running meanwhile).\n"
        )
        return paragraph % {"why": why, "names": names, "fix": FIX}
