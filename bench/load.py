"""Load: signed-in people searching at once through gunicorn, at 100,000 photos.

The photos are bench/search_latency.py's (the same `load`: 100,000 photos with vectors and texts,
HNSW indexes), in a database of their own, `bench_load_<photos>`, kept between runs: a marker table
written once the build has finished says it is complete, so a later run reuses it (--rebuild builds
it afresh). The query encoders are random-weight models at the default models' shapes
(bench/indexing.py's), as in search_latency.py: the encoding cost is real, the vectors mean nothing.

The server is the production one: gunicorn on 127.0.0.1 (a free port), with the project's settings
(photosearch.settings, DEBUG off, the production throttles and password hashing), the static files
collected into bench/out/static; only plain HTTP is allowed on loopback (SECURE_SSL_REDIRECT,
SECURE_COOKIES and SECURE_HSTS_SECONDS off, as the test settings do). It uses the build's database
and the same Redis (the cache is cleared first, so no query vector is cached from an earlier run).
By default the production server's processes and threads (photosearch/gunicorn.py: 4 workers x 4
threads, gthread); --workers and --threads change them.

Each simulated user is its own `requests` session, signed in through the log-in form before the clock
starts (with CSRF token and session cookie, as a browser does), then, for --seconds:

- arrives at a random moment in the first 3 s and opens the search page (the whole page);
- then, again and again: thinks 1 to 3 s (uniform; --think MIN MAX), types a query and gets the results as the page's
  htmx request does (`/search/?q=...` with `HX-Request`, one request per query: the page searches
  400 ms after the typing stops). Half the queries are new in the run (Flickr8k captions, each asked
  once by anyone: both encoders run), half are one of 20 popular ones, picked with Zipf weights
  (1/rank), whose vectors are cached after their first asking;
- after 3 result lists in 10 that offer "More results", thinks 1 to 3 s again and asks for page 2
  (the htmx request of that button).

Every request is a new connection (`Connection: close`), as a TLS proxy in front of gunicorn makes
them by default (nginx speaks HTTP/1.0 to its upstream). Images (thumbnails, static files) are not
fetched: the bench photos have no image files, and a browser keeps the static ones. Randomness is
seeded (--seed, and the user's number), so two runs ask the same things in the same order, up to timing.

A response is counted as throttled when it is a 429 (the per-user search rate, SEARCHES_PER_MINUTE), and
as an error when it is a 5xx, another unexpected status, a connection error or a timeout (30 s).
Latency percentiles are over the successful (200) responses; rps is the responses received (of any
status) per second of the run, from the first arrival to the last response.

    .venv/bin/python bench/load.py [--users 50] [--seconds 60] [--photos 100000] [--think 1 3]

The last line is one JSON object: users, rps, p50_ms, p95_ms, p99_ms, errors, throttled, then the
run's shape.
"""

import contextlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import harness
import requests
from search_latency import fresh_queries, load, percentile

from photosearch import gunicorn as gunicorn_settings  # the production server's workers and threads

ROOT = harness.ROOT
OUT = ROOT / "bench" / "out"
PASSWORD = "bench-load-Password-7"
POPULAR = 20
TIMEOUT_S = 30
BUILD_VERSION = 1  # bump when what the database holds changes, so old builds are rebuilt


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- The data ------------------------------------------------------------------------------------


def read_marker(connection) -> dict | None:
    from django.db import DatabaseError

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT built FROM bench_marker")
            row = cursor.fetchone()
    except DatabaseError:
        return None
    return json.loads(row[0]) if row else None


def prepare_database(photos: int, rebuild: bool, settings) -> tuple[bool, float]:
    """Point this process at `bench_load_<photos>`, built now unless a complete one is there: (reused, seconds)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    name = f"bench_load_{photos}"
    wanted = {
        "version": BUILD_VERSION,
        "photos": photos,
        "image_text_model": settings.IMAGE_TEXT_MODEL,
        "text_model": settings.TEXT_MODEL,
        "description_model": settings.DESCRIPTION_MODEL,
    }
    original = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = name
    # keepdb: an existing database is kept (and migrated); serialize=False: no copy of its rows in memory.
    connection.creation.create_test_db(verbosity=0, keepdb=True, serialize=False)
    if not rebuild and read_marker(connection) == wanted:
        return True, 0.0
    started = time.perf_counter()
    connection.creation.destroy_test_db(original, verbosity=0)
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    owner = get_user_model().objects.create_user("bench0")
    load(photos, owner, settings)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_marker (built text NOT NULL)")
        cursor.execute("INSERT INTO bench_marker VALUES (%s)", [json.dumps(wanted)])
    return False, time.perf_counter() - started


def ensure_users(count: int) -> list[str]:
    """bench0 .. bench<count-1>, each tracking every profile, with PASSWORD hashed as production hashes it."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    from profiles.models import InstagramProfile, Tracking

    User = get_user_model()
    hasher = PBKDF2PasswordHasher()  # the production settings' first hasher (the test settings use MD5)
    encoded = hasher.encode(PASSWORD, hasher.salt())
    names = [f"bench{n}" for n in range(count)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create([User(username=name) for name in names if name not in existing])
    User.objects.filter(username__in=names).update(password=encoded)
    profiles = list(InstagramProfile.objects.all())
    for user in User.objects.filter(username__in=names):
        tracked = set(Tracking.objects.filter(user=user).values_list("profile_id", flat=True))
        Tracking.objects.bulk_create([Tracking(user=user, profile=p) for p in profiles if p.pk not in tracked])
    return names


def database_url(settings_dict: dict) -> str:
    from urllib.parse import quote

    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    host = quote(settings_dict["HOST"] or "", safe="")  # a socket folder, percent-encoded
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    credentials = f"{user}:{password}@" if password else f"{user}@"
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"


# --- The server ----------------------------------------------------------------------------------


def server_env(settings, models: dict) -> dict:
    from django.db import connection

    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    return env | {
        "DJANGO_SETTINGS_MODULE": "photosearch.settings",
        "DEBUG": "0",
        # Plain HTTP on loopback, as the test settings allow it; everything else as in production.
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "SECURE_HSTS_SECONDS": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_DB": str(settings.REDIS_DB),  # the bench process's Redis databases: its cache.clear() is the server's
        "STATIC_ROOT": str(OUT / "static"),
        "IMAGE_TEXT_MODEL": str(models["image_text"]),
        "TEXT_MODEL": str(models["text"]),
        "DESCRIPTION_MODEL": str(models["describer"]),
        "HF_HUB_OFFLINE": "1",
        "LOG_LEVEL": "warning",
    }


def start_gunicorn(env: dict, port: int, workers: int, threads: int, log) -> subprocess.Popen:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "photosearch.wsgi", "--config", "python:photosearch.gunicorn",
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
         "--worker-class", "gthread" if threads > 1 else "sync",
         "--no-control-socket"],  # its default path is shared by every gunicorn on the machine
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.returncode}); see {log.name}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return server
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not answer /healthz within 120 s; see {log.name}")
        time.sleep(0.3)


def stop_gunicorn(server: subprocess.Popen) -> None:
    """The arbiter and its workers (its own process group), whatever state they are in."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)  # workers left behind by an arbiter that died first
    server.wait()


# --- The users -----------------------------------------------------------------------------------


def log_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    session.headers["Connection"] = "close"
    page = session.get(f"{base}/accounts/login/", timeout=TIMEOUT_S)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD, "next": ""},
        timeout=TIMEOUT_S,
        allow_redirects=False,
    )
    if answer.status_code != 302 or "sessionid" not in session.cookies:
        raise RuntimeError(f"{username} could not log in: {answer.status_code}")
    return session


class Run:
    """What the users share: the clock, the queries, and every request's outcome."""

    def __init__(self, base: str, seconds: float, fresh: list[str], popular: list[str], think: tuple[float, float]):
        self.base, self.seconds, self.think = base, seconds, think
        self.fresh, self.popular = iter(fresh), popular
        self.weights = [1 / rank for rank in range(1, len(popular) + 1)]
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {"open": [], "new": [], "popular": [], "page2": []}
        self.outcomes = Counter()
        self.started = self.deadline = self.last = 0.0

    def fresh_query(self) -> str:
        with self.lock:
            return next(self.fresh)

    def get(self, session: requests.Session, kind: str, params: dict | None, htmx: bool) -> requests.Response | None:
        headers = {"HX-Request": "true", "HX-Current-URL": f"{self.base}/search/"} if htmx else {}
        started = time.perf_counter()
        try:
            response = session.get(f"{self.base}/search/", params=params, headers=headers, timeout=TIMEOUT_S)
        except requests.Timeout:
            outcome, response = "timeout", None
        except requests.RequestException:
            outcome, response = "connection error", None
        else:
            outcome = {200: "ok", 429: "throttled"}.get(response.status_code, f"HTTP {response.status_code}")
        elapsed = 1000 * (time.perf_counter() - started)
        with self.lock:
            self.outcomes[outcome] += 1
            if outcome == "ok":
                self.latencies[kind].append(elapsed)
            self.last = max(self.last, time.perf_counter())
        return response if outcome == "ok" else None

    def user(self, session: requests.Session, rng) -> None:
        def think(low: float, high: float) -> bool:
            """Wait like a person; False once the run is over (no new action starts after it)."""
            time.sleep(rng.uniform(low, high))
            return time.perf_counter() < self.deadline

        if not think(0, 3):
            return
        self.get(session, "open", None, htmx=False)
        while think(*self.think):
            if rng.random() < 0.5:
                kind, query = "new", self.fresh_query()
            else:
                kind, query = "popular", rng.choices(self.popular, weights=self.weights)[0]
            form = {"q": query, "after": "", "before": "", "sort": "relevance"}
            response = self.get(session, kind, form, htmx=True)
            if response is not None and "More results" in response.text and rng.random() < 0.3:
                if not think(*self.think):
                    return
                self.get(session, "page2", form | {"page": 2}, htmx=True)


def warm_up(run: Run, sessions: list[requests.Session], queries: list[str], concurrency: int) -> None:
    """Rounds of `concurrency` searches at once until every worker has loaded the encoders (a round under 5 s)."""
    for round_number in range(10):
        batch = queries[round_number * concurrency : (round_number + 1) * concurrency]
        started = time.perf_counter()
        threads = [
            threading.Thread(
                target=lambda s, q: s.get(
                    f"{run.base}/search/", params={"q": q}, headers={"HX-Request": "true"}, timeout=120
                ),
                args=(sessions[n % len(sessions)], query),
            )
            for n, query in enumerate(batch)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if round_number >= 1 and time.perf_counter() - started < 5:
            return


def main() -> None:
    parser = harness.parser(__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--photos", type=int, default=100_000)
    # The production server's own counts (photosearch/gunicorn.py) unless asked otherwise.
    parser.add_argument("--workers", type=int, default=gunicorn_settings.workers, help="gunicorn workers")
    parser.add_argument(
        "--threads", type=int, default=gunicorn_settings.threads, help="threads per worker (gthread when above 1)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"), help="seconds between actions"
    )
    parser.add_argument("--rebuild", action="store_true", help="build the photos again even if a build is there")
    args = harness.start(parser)
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from indexing import build_models  # bench/indexing.py: random-weight models of the default shapes

    models = build_models()
    settings.IMAGE_TEXT_MODEL, settings.TEXT_MODEL = str(models["image_text"]), str(models["text"])
    settings.DESCRIPTION_MODEL = str(models["describer"])
    reused, build_s = prepare_database(args.photos, args.rebuild, settings)
    usernames = ensure_users(args.users)
    cache.clear()  # no query vector, word count or throttle counter left from an earlier run
    env = server_env(settings, models)
    connection.close()

    queries = fresh_queries()
    popular, warmup, fresh = queries[:POPULAR], queries[POPULAR : POPULAR + 40], queries[POPULAR + 40 :]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    OUT.mkdir(parents=True, exist_ok=True)
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops gunicorn
    with open(OUT / "load-gunicorn.log", "w") as log:
        server = None
        try:
            server = start_gunicorn(env, port, args.workers, args.threads, log)
            started = time.perf_counter()
            with ThreadPoolExecutor(4) as pool:
                sessions = list(pool.map(lambda name: log_in(base, name), usernames))
            login_s = time.perf_counter() - started
            run = Run(base, args.seconds, fresh, popular, tuple(args.think))
            warm_up(run, sessions, warmup, args.workers * args.threads)
            users = [
                threading.Thread(target=run.user, args=(session, random.Random(args.seed * 100_003 + n)), daemon=True)
                for n, session in enumerate(sessions)
            ]
            run.started = time.perf_counter()
            run.deadline = run.started + args.seconds
            for thread in users:
                thread.start()
            for thread in users:
                thread.join(timeout=max(0.0, run.deadline - time.perf_counter()) + TIMEOUT_S + 10)
        finally:
            if server is not None:
                stop_gunicorn(server)
            signal.signal(signal.SIGTERM, previous)

    successful = [ms for values in run.latencies.values() for ms in values]
    errors = {outcome: n for outcome, n in run.outcomes.items() if outcome not in ("ok", "throttled")}
    responses = sum(n for outcome, n in run.outcomes.items() if outcome not in ("timeout", "connection error"))
    elapsed = max(run.last, run.deadline) - run.started

    def p95(values):
        return round(percentile(values, 0.95), 1) if values else None

    figures = {
        "users": args.users,
        "rps": round(responses / elapsed, 2),
        "p50_ms": round(percentile(successful, 0.50), 1) if successful else None,
        "p95_ms": p95(successful),
        "p99_ms": round(percentile(successful, 0.99), 1) if successful else None,
        "errors": sum(errors.values()),
        "throttled": run.outcomes["throttled"],
        "error_kinds": errors,
        "p95_ms_by_kind": {kind: p95(values) for kind, values in run.latencies.items()},
        "requests": sum(run.outcomes.values()),
        "seconds": round(elapsed, 1),
        "photos": args.photos,
        "gunicorn": f"{args.workers} workers x {args.threads} threads"
        + (" (gthread)" if args.threads > 1 else " (sync)"),
        "think_s": list(args.think),
        "login_s": round(login_s, 1),
        "database": "reused" if reused else f"built in {build_s:.0f} s",
    }
    harness.report(figures)


if __name__ == "__main__":
    main()
