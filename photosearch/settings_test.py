"""Settings for the test suite: the app's own, on the same embedded servers, in separate places.

Tests use their own Redis databases (14 for queues, 15 for the cache) so that a test run never
touches the queues of an app running beside it; pytest-django makes its own test_photosearch database.
"""

import os

os.environ.setdefault("REDIS_DB", "14")
# `make test` runs the tests in several processes (pytest-xdist). The first uses the embedded servers of
# DATA_DIR, as a single run does; each other one gets servers of its own in a folder beside them, so that
# its Celery workers never take another's tasks and its fault tests stop only its own servers. The
# environment carries the folder to the processes a test starts (which find it set). conftest.py stops
# them after the run.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_data = os.environ.get("DATA_DIR") or os.path.join(os.path.dirname(os.path.dirname(__file__)), ".data")
if _worker != "gw0" and os.path.basename(_data) != f"tests-{_worker}":
    os.environ["DATA_DIR"] = os.path.join(_data, f"tests-{_worker}")
# Import-time switches for plain HTTP on localhost (no HTTPS redirect, no Secure cookies) and
# unhashed static files; Django still runs every test with DEBUG = False.
os.environ.setdefault("DEBUG", "1")

from photosearch.settings import *  # noqa: E402, F403

# Hashing passwords slowly is a production virtue and a test-suite cost.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A worker started by a test waits on Redis for a tenth of a second at a time, not Redis's default second:
# stopping one at the end of a test then takes that long (a second each, 25 s over the suite, otherwise).
CELERY_BROKER_TRANSPORT_OPTIONS = CELERY_BROKER_TRANSPORT_OPTIONS | {"polling_interval": 0.1}  # noqa: F405
