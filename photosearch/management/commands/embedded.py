import os

from django.conf import settings
from django.core.management.base import BaseCommand

from photosearch import embedded


class Command(BaseCommand):
    help = "Show or stop the embedded PostgreSQL and Redis (used where DATABASE_URL / REDIS_URL are not set)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "stop"])

    def handle(self, *args, action, **options):
        uses_embedded_db = not os.environ.get("DATABASE_URL")
        uses_embedded_redis = not os.environ.get("REDIS_URL")
        if action == "status":
            self.stdout.write(f"data folder: {settings.DATA_DIR}")
            self.stdout.write(
                f"PostgreSQL: embedded, socket in {settings.DATABASES['default']['HOST']}"
                if uses_embedded_db
                else "PostgreSQL: DATABASE_URL"
            )
            self.stdout.write(
                f"Redis: embedded, sockets {embedded.redis_socket_path(settings.DATA_DIR)} (queues) and "
                f"{embedded.redis_socket_path(settings.DATA_DIR, embedded.CACHE_SERVER)} (cache)"
                if uses_embedded_redis
                else "Redis: REDIS_URL"
            )
            return
        # Loading the settings started (or found) both servers; this stops them for every process.
        if uses_embedded_db:
            embedded.stop_postgres(settings.DATA_DIR)
            self.stdout.write("Stopped the embedded PostgreSQL.")
        if uses_embedded_redis:
            embedded.stop_redis(settings.DATA_DIR)
            self.stdout.write("Stopped the embedded Redis.")
