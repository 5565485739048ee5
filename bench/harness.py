"""What every bench shares: the project on the path, its test settings, the command line, a database, the figures.

Imported first by each bench (bench/ is on the path when a bench runs as a script), it puts the repository
on the path, chooses photosearch.settings_test (the test settings, on the same servers) and keeps the
Hugging Face hub offline: models are built here or shipped in packages, never downloaded. Then a bench
does

    parser = harness.parser(__doc__)              # described by its docstring's first line
    parser.add_argument(...)
    args = harness.start(parser)                  # the command line, then django.setup()
    with harness.test_database("bench_<name>"):   # a database of its own, dropped at the end
        figures = ...
    harness.report(figures)                       # the last line printed: one JSON object
"""

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLICKR8K = ROOT.parent / "shared" / "data" / "flickr8k"

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "photosearch.settings_test")
os.environ["HF_HUB_OFFLINE"] = "1"


def parser(doc: str) -> argparse.ArgumentParser:
    """A command line described by the first line of a bench's docstring."""
    return argparse.ArgumentParser(description=doc.splitlines()[0])


def start(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """The parsed command line, with Django set up after it (so that --help is quick)."""
    args = parser.parse_args()
    import django

    django.setup()
    return args


@contextmanager
def test_database(name: str) -> Iterator[None]:
    """A database `name` on the test settings' server, made afresh (an old one dropped), and dropped at the end.

    A fixed name, never the test suite's. Other sessions still on it at the end (a server thread's) are ended
    first, so that it can be dropped.
    """
    from django.db import connection

    connection.settings_dict["TEST"]["NAME"] = name
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [connection.settings_dict["NAME"]],
            )
        connection.close()
        connection.creation.destroy_test_db(name, verbosity=0)


def report(figures: dict) -> None:
    """Prints the figures as one JSON line: the last line a bench prints."""
    print(json.dumps(figures))
