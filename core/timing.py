"""Where a search's time goes, stage by stage: for the Server-Timing header and bench/search_latency.py.

A stage records only while something listens (`recorded()`, opened per request by
photosearch.middleware.ServerTimingMiddleware): elsewhere `stage()` costs one context-variable read.

    with timing.recorded() as stages:
        photos_search(...)
    stages  # {"encode_image_text": 27.9, "candidates_image": 4.1, ...} in milliseconds
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_stages: ContextVar[dict[str, float] | None] = ContextVar("search_stages", default=None)


@contextmanager
def recorded() -> Iterator[dict[str, float]]:
    """Listen to the stages run inside the block, in this thread."""
    stages: dict[str, float] = {}
    token = _stages.set(stages)
    try:
        yield stages
    finally:
        _stages.reset(token)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Add the block's time, in milliseconds, to the stage `name` of whoever listens."""
    stages = _stages.get()
    if stages is None:
        yield
        return
    started = time.perf_counter()
    try:
        yield
    finally:
        stages[name] = stages.get(name, 0.0) + 1000 * (time.perf_counter() - started)


def server_timing(stages: dict[str, float]) -> str:
    """The stages as a Server-Timing header value, which browsers' developer tools draw per request."""
    return ", ".join(f"{name};dur={milliseconds:.1f}" for name, milliseconds in stages.items())
