from django.core.management.base import BaseCommand, CommandError

from photosearch import health


class Command(BaseCommand):
    help = (
        "Check that the database, both Redis servers, the media bucket (when media are in one) and, with "
        "--workers, a worker on each queue answer (with --beat, that beat keeps its schedule); exit 1 if not."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workers", action="store_true", help="Also ping a worker on each Celery queue.")
        parser.add_argument("--timeout", type=float, default=5.0, help="Seconds to wait for each worker.")
        parser.add_argument(
            "--beat", action="store_true", help="Also check that beat wrote its schedule lately (beat's health check)."
        )

    def handle(self, *args, workers, timeout, beat, **options):
        checks = {"database": health.database_answers(), "broker": health.broker_answers()}
        checks["cache"] = health.cache_answers()
        if beat:
            checks["beat's schedule"] = health.beat_schedule_fresh()
        if (bucket := health.media_bucket_answers()) is not None:
            checks["media bucket"] = bucket
        if workers and checks["broker"]:
            for queue, worker in health.queue_workers(timeout=timeout).items():
                checks[f"queue {queue}"] = worker
        for name, answer in checks.items():
            self.stdout.write(f"{name}: {answer if isinstance(answer, str) else ('ok' if answer else 'NOT ANSWERING')}")
        if not all(checks.values()):
            raise CommandError("Some parts are not answering.")
