"""A real Celery worker (prefork pool, one child) in a process of its own, for the fault tests to kill.

    python -m photosearch.tests.worker_main QUEUE

It runs with the test settings against the database and Redis the test process gives it (DATABASE_URL,
REDIS_DB). FAKE_INSTAGRAM (JSON) fakes Instagram at the requests boundary, as the `fake_instagram`
fixture does: {"posts": N, "hold": SHORTCODE, "held": PATH, "release": PATH} (the hold optional) makes N posts and holds
the download of SHORTCODE's image until the file `release` appears, after saying so in the file `held`.
Only the first download is held: a child that takes over the task goes straight on.
"""

import json
import os
import sys
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "photosearch.settings_test")
django.setup()


def fake_instagram(spec: dict) -> None:
    import requests

    from profiles.tests.fake_instagram import FakeInstagram, media

    fake = FakeInstagram()
    fake.add_profile(posts=[media(f"C9post{n:05d}", 1717000000 - n * 1000, f"Post {n}") for n in range(spec["posts"])])
    requests.adapters.HTTPAdapter.send = lambda adapter, request, **kw: fake.send(request)
    if "hold" not in spec:
        return
    held, release = Path(spec["held"]), Path(spec.get("release", "/nonexistent"))

    def hold():
        if held.exists():
            return  # a second child, after the first one was killed: go on
        held.write_text(str(os.getpid()))
        deadline = time.monotonic() + 30
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    # Kept, not used up: the held marker decides, and a child forked later starts from the same state.
    fake.on_download = _Kept({fake.image_path(spec["hold"], 1): hold})


class _Kept(dict):
    def pop(self, key, default=None):
        return self.get(key, default)


if spec := os.environ.get("FAKE_INSTAGRAM"):
    fake_instagram(json.loads(spec))

if sys.argv[1] == "ml":
    import search.ml.encoders  # noqa: F401  (torch and transformers, imported before the fork: once, not per child)

from photosearch.celery import app  # noqa: E402

app.worker_main(
    [
        "worker", "--queues", sys.argv[1], "--pool", "prefork", "--concurrency", "1",
        "--hostname", f"faults-{sys.argv[1]}@%h", "--loglevel", os.environ.get("WORKER_LOGLEVEL", "warning"),
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]
)  # fmt: skip
