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

from search.ml import runtime
from search.ml.encoders import Describer, ImageTextEmbedder, TextEmbedder
from search.ml.errors import ModelUnavailable, role_setting

log = logging.getLogger(__name__)

_lock = threading.Lock()
_loaded: dict[tuple[str, str], object] = {}


def get(role: str, *, text_only: bool = False):
    """The loaded model of a role: "image_text", "describer", "text" or "reader"."""
    name = getattr(settings, role_setting(role))
    key = (f"{role}:text" if text_only else role, name)
    if key not in _loaded:
        with _lock:
            if key not in _loaded:  # another thread may have loaded it while this one waited
                _loaded[key] = _load(role, name, text_only=text_only)
    return _loaded[key]


def forget() -> None:
    """Drop every loaded model (tests; a worker never needs to)."""
    with _lock:
        _loaded.clear()


def _load(role: str, name: str, *, text_only: bool):
    runtime.configure()
    device = runtime.device()
    dtype = runtime.dtype(device)
    started = time.perf_counter()
    try:
        if role == "image_text":
            model = ImageTextEmbedder.load(name, device=device, dtype=dtype, text_only=text_only)
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
    log.info("Loaded %s model %s on %s (%s) in %.1fs", role, name, device, dtype, time.perf_counter() - started)
    return model
