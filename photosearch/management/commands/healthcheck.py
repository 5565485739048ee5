from django.core.management.base import BaseCommand, CommandError

from photosearch import health


class Command(BaseCommand):
    help = (
        "Check that the database, Redis, the media bucket (when media are in one) and, with --workers, "
        "a worker on each queue answer; exit 1 if not."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workers", action="store_true", help="Also ping a worker on each Celery queue.")
        parser.add_argument("--timeout", type=float, default=5.0, help="Seconds to wait for each worker.")

    def handle(self, *args, workers, timeout, **options):
        checks = {"database": health.database_answers(), "redis": health.redis_answers()}
        if (bucket := health.media_bucket_answers()) is not None:
            checks["media bucket"] = bucket
        if workers and checks["redis"]:
            for queue, worker in health.queue_workers(timeout=timeout).items():
                checks[f"queue {queue}"] = worker
        for name, answer in checks.items():
            self.stdout.write(f"{name}: {answer if isinstance(answer, str) else ('ok' if answer else 'NOT ANSWERING')}")
        if not all(checks.values()):
            raise CommandError("Some parts are not answering.")
