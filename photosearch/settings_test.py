"""Settings for the test suite: the app's own, on the same embedded servers, in separate places.

Tests use their own Redis databases (14 for queues, 15 for the cache) so that a test run never
touches the queues of an app running beside it; pytest-django makes its own test_photosearch database.
"""

import os

os.environ.setdefault("REDIS_DB", "14")
# Import-time switches for plain HTTP on localhost (no HTTPS redirect, no Secure cookies) and
# unhashed static files; Django still runs every test with DEBUG = False.
os.environ.setdefault("DEBUG", "1")

from photosearch.settings import *  # noqa: F403

# Hashing passwords slowly is a production virtue and a test-suite cost.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A worker started by a test waits on Redis for a tenth of a second at a time, not Redis's default second:
# stopping one at the end of a test then takes that long (a second each, 25 s over the suite, otherwise).
CELERY_BROKER_TRANSPORT_OPTIONS = CELERY_BROKER_TRANSPORT_OPTIONS | {"polling_interval": 0.1}  # noqa: F405
