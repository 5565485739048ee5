"""The production web server's settings: `gunicorn photosearch.wsgi --config python:photosearch.gunicorn`.

The Dockerfile's server and bench/load.py's. Four processes of four threads each, on two cores:
a search waits on PostgreSQL and Redis for much of its time (threads fill that time), and the rest
is Python, which one process runs on one core at a time (more processes share the GIL's load).
Measured by bench/load.py (50 people searching 100,000 photos, 2 cores), one run each on the same
code: p95 450 ms with 4 x 4 (607 and 626 ms in two later runs: runs here vary that much), 774 ms
with 2 x 4, 1,133 ms with 4 sync workers (requests queue while a worker waits on the database).

Each process holds its own query encoders (the text towers, about 1 GB with SigLIP 2's vocabulary):
on a machine short of memory, WEB_WORKERS lowers the count and WEB_THREADS raises the threads.
"""

import os

# Importing it reads no setting and loads no app: safe in gunicorn's master, before Django is set up.
from search.warmup import warm_up_in_background

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_WORKERS", "4"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"


def post_worker_init(worker):
    """Each process, once it has loaded the app, loads what a first search needs in the background."""
    warm_up_in_background()
