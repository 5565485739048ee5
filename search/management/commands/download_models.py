from django.core.management.base import BaseCommand, CommandError

from search.ml.errors import ROLE_NAMES, role_setting


class Command(BaseCommand):
    help = "Download the configured models (image-text embedder, describer, text embedder) ahead of time."

    def add_arguments(self, parser):
        parser.add_argument("--role", choices=list(ROLE_NAMES), action="append", help="Only this role (repeatable).")

    def handle(self, *args, role, **options):
        from django.conf import settings

        from search.ml.download import DownloadFailed, fetch

        failures = []
        for each in role or ROLE_NAMES:
            name = getattr(settings, role_setting(each))
            self.stdout.write(f"{ROLE_NAMES[each]}: {name or '(off)'}")
            if each == "reader" or not name:
                if name:
                    self.stdout.write("  ready: its models come with the rapidocr package")
                continue
            try:
                self.stdout.write(f"  ready in {fetch(name)}")
            except DownloadFailed as exc:
                failures.append(str(exc))
                self.stderr.write(f"  {exc}")
        if failures:
            raise CommandError(f"{len(failures)} model(s) could not be downloaded.")
