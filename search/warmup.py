"""A web process made ready for its first search as it starts, in the background.

A first search otherwise pays for everything a process loads once: each query encoder (an int8
export read, or made, and its first run), the text model's floor and the image model's calibration
(measured once per model, then cached for every process), the library's word statistics and how many
photos each profile holds. That was 5 to 15 s for whoever searched first after a deploy or a restart.

The web server starts it once a process is ready to serve (gunicorn's `post_worker_init` hook in
photosearch/gunicorn.py, `runserver` for `make run`), never at import: a process that serves pages
only (tests, commands) never loads a model. It runs in a thread of its own, so the health check
answers at once; a search that comes meanwhile waits for the encoder it needs behind the registry's
lock, and never loads it twice. WARM_START=0 turns it off.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)

warm = threading.Event()  # set once warm_up has run (whatever it found missing)


def warm_up() -> dict[str, float]:
    """Load what a first search needs; the seconds each part took (a model not on this machine is skipped)."""
    from search import query
    from search.fulltext import lexeme_counts
    from search.ml.availability import model_path
    from search.ml.errors import ModelUnavailable
    from search.vectors import profiles_share

    seconds = {}
    roles = [("image_text", settings.IMAGE_TEXT_MODEL), ("text", settings.TEXT_MODEL)]
    for role, model in roles:
        if not model or model_path(model) is None:
            continue  # searches go on without it, and say so; `download_models` fetches it
        started = time.perf_counter()
        try:
            from search.ml import registry  # torch or ONNX Runtime: only where a model is there to load

            registry.get(role, for_queries=True).embed_queries(["a warm-up query"])  # the first run allocates
            query.text_floor() if role == "text" else query.image_calibration()
        except ModelUnavailable as missing:
            log.warning("Warm start: %s", missing)
            continue
        seconds[role] = time.perf_counter() - started
    started = time.perf_counter()
    lexeme_counts([])  # the library's size and its common words' shares, into the cache
    profiles_share([])  # each profile's photos (a scoped scan's first batch), into the cache
    seconds["word_statistics"] = time.perf_counter() - started
    return seconds


def warm_up_in_background() -> threading.Thread | None:
    """Start warm_up in a daemon thread of this process (unless WARM_START is off); it logs what it did."""
    if not settings.WARM_START:
        return None
    thread = threading.Thread(target=_warm_up_logged, name="search-warm-up", daemon=True)
    thread.start()
    return thread


def _warm_up_logged() -> None:
    started = time.perf_counter()
    try:
        parts = warm_up()
        said = ", ".join(f"{name} {value:.1f} s" for name, value in parts.items())
        log.info("Warm start: ready to search in %.1f s (%s)", time.perf_counter() - started, said)
    except Exception:  # a warm-up that fails leaves the first search to load what it needs, as before
        log.exception("Warm start failed; the first search will load the models itself")
    finally:
        connection.close()  # this thread's own connection, not the requests'
        warm.set()
