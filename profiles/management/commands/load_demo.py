"""python manage.py load_demo [--if-empty]"""

from django.core.management.base import BaseCommand

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
            self.stdout.write("Posts are stored already: the demo is not loaded (`manage.py load_demo` loads it).")
            return
        profile, report = demo_load()
        for problem in report.problems:
            self.stderr.write(f"Skipped {problem}")
        trackers = profile.trackings.count()
        self.stdout.write(
            f"Demo profile @{profile.username}: {report.posts} posts read, {report.new_posts} new, "
            f"{report.new_photos} new photos queued for indexing; "
            f"{trackers} {'user tracks' if trackers == 1 else 'users track'} it (and everyone who signs up later)."
        )
