"""python manage.py load_demo [--if-empty]"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from profiles.models import Post
from profiles.services.demo import demo_load


class Command(BaseCommand):
    help = (
        "Load the demo profile (@photosearch_demo: free-licensed photographs with captions) through the "
        "instaloader-folder import, and make every user track it. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="Load it only when no post is stored yet (what `make run` does)."
        )

    def handle(self, *args, if_empty, **options):
        if if_empty and Post.objects.exists():
            self.stdout.write(_("Posts are stored already: the demo is not loaded (`manage.py load_demo` loads it)."))
            return
        profile, report = demo_load()
        for problem in report.problems:
            self.stderr.write(_("Skipped %(problem)s") % {"problem": problem})
        trackers = profile.trackings.count()
        loaded = _(
            "Demo profile @%(username)s: %(posts)d posts read, %(new_posts)d new, %(new_photos)d new photos queued "
            "for indexing; %(trackers)s (and everyone who signs up later)."
        )
        trackers = ngettext("%(count)d user tracks it", "%(count)d users track it", trackers) % {"count": trackers}
        counts = {"posts": report.posts, "new_posts": report.new_posts, "new_photos": report.new_photos}
        self.stdout.write(loaded % {"username": profile.username, "trackers": trackers, **counts})
