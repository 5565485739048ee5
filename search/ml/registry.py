"""The one place that loads models: on first use, once per process, behind a lock.

A role's model is the one its setting names (IMAGE_TEXT_MODEL, DESCRIPTION_MODEL, TEXT_MODEL, OCR_ENGINE);
the cache is keyed by role and name, so a changed setting (tests, reindex) loads the new model.
Workers never download: a model that is not on disk raises ModelUnavailable at once, naming
the command that fetches it, rather than pulling gigabytes inside a time-limited task.
"""

import logging
import threading
import time

from django.conf import settings

from search.ml import query_encoders, runtime
from search.ml.availability import model_path
from search.ml.encoders import Describer, ImageTextEmbedder, TextEmbedder
from search.ml.errors import ModelUnavailable, role_setting

log = logging.getLogger(__name__)

_lock = threading.Lock()
_loaded: dict[tuple[str, str, str], object] = {}  # (role, model name, query mode or "")


def get(role: str, *, for_queries: bool = False):
    """The loaded model of a role: "image_text", "describer", "text" or "reader".

    for_queries: the encoder that search queries go through ("image_text" and "text" roles): the
    text side only, and on CPU with ML_QUERY_INT8 an int8 export run by ONNX Runtime (search.ml.query_encoders).
    Stored vectors are always made by the full-precision model; the two agree to within the
    measured loss.
    """
    name = getattr(settings, role_setting(role))
    key = (role, name, query_mode() if for_queries else "")
    if key not in _loaded:
        with _lock:
            if key not in _loaded:  # another thread may have loaded it while this one waited
                _loaded[key] = _load(role, name, for_queries=for_queries)
    return _loaded[key]


def query_mode() -> str:
    """How this process encodes queries: "int8" (on CPU with ML_QUERY_INT8) or "full" precision."""
    return "int8" if settings.ML_QUERY_INT8 and runtime.device().type == "cpu" else "full"


def forget() -> None:
    """Drop every loaded model (tests; a worker never needs to)."""
    with _lock:
        _loaded.clear()


def _load(role: str, name: str, *, for_queries: bool):
    runtime.configure()
    device = runtime.device()
    dtype = runtime.dtype(device)
    started = time.perf_counter()
    if for_queries and query_mode() == "int8":
        try:
            return _load_int8_queries(role, name, started)
        except query_encoders.ExportFailed as exc:
            log.warning("Queries to the %s model %s run in full precision: no int8 export (%s)", role, name, exc)
    try:
        if role == "image_text":
            model = ImageTextEmbedder.load(name, device=device, dtype=dtype, text_only=for_queries)
        elif role == "describer":
            model = Describer.load(name, device=device, dtype=dtype, max_new_tokens=settings.DESCRIPTION_MAX_TOKENS)
        elif role == "reader":
            from search.ml.reader import Reader  # onnxruntime and OpenCV: only where photos are read

            model = Reader.load(name, threads=settings.ML_THREADS or runtime.cpu_share())
        elif role == "text":
            model = TextEmbedder.load(
                name,
                device=device,
                dtype=dtype,
                query_prefix=settings.TEXT_QUERY_PREFIX,
                passage_prefix=settings.TEXT_PASSAGE_PREFIX,
            )
        else:
            raise ValueError(f"unknown model role {role!r}")
    except OSError as exc:  # transformers' word for "no such model files here"
        raise ModelUnavailable(role, name, reason=str(exc).splitlines()[0][:200]) from exc
    log.info(
        "Loaded %s model %s%s on %s (%s) in %.1fs",
        role,
        name,
        " for queries" if for_queries else "",
        device,
        dtype,
        time.perf_counter() - started,
    )
    return model


def _load_int8_queries(role: str, name: str, started: float):
    if (source := model_path(name)) is None:
        raise ModelUnavailable(role, name, reason="not downloaded yet")
    # A query's image-text encoding takes every core (1.4x faster on two, alone); the small text
    # embedder runs as fast on one. Idle threads sleep (query_encoders.load), so under load they cost nothing.
    threads = (settings.ML_THREADS or runtime.cpu_share()) if role == "image_text" else 1
    model = query_encoders.load(role, name, source, threads=threads)
    log.info("Loaded %s model %s for queries (ONNX Runtime, int8) in %.1fs", role, name, time.perf_counter() - started)
    return model
