"""Rankings kept for repeated searches: the next page, the same words asked again, anyone searching the same profiles.

A search's cost is its ranking (query encoders, three candidate sources, the scoring query); the
page it shows is one more query. A ranking is kept under a key made of everything it depends on:
the query, the exact profiles searched (so it is only ever shown to people who may search every
one of them), the filters, the models and the fusion's settings, and the library's generation.
The generation is renewed whenever a batch of photos is indexed or described (on commit), so a
kept ranking never hides a photo that has just become searchable. What no generation follows
(photos deleted, whose cards are then left out of the page) lasts SEARCH_RANKING_SECONDS at most.
"""

import hashlib
import uuid

from django.conf import settings
from django.core.cache import cache

GENERATION_KEY = "search-generation"
# Bump when what a kept ranking holds changes shape (services.Ranking, ranking.Candidate): a ranking
# kept by the code before a deploy is then never read by the code after it.
FORMAT = "1"


def key(*, query: str, profile_ids: list[int], filters) -> str:
    parts = [
        FORMAT,
        query,
        ",".join(map(str, profile_ids)),
        repr(filters),  # a frozen dataclass: its repr names every field and value
        settings.IMAGE_TEXT_MODEL,
        settings.TEXT_MODEL,
        "int8" if settings.ML_QUERY_INT8 else "full",
        repr((settings.SEARCH_FULLTEXT_WEIGHT, settings.TEXT_SIMILARITY_SCALE, settings.SEARCH_CANDIDATES)),
        generation(),
    ]
    return "ranking:" + hashlib.sha256("\0".join(parts).encode()).hexdigest()


def enabled() -> bool:
    return settings.SEARCH_RANKING_SECONDS > 0


def get(ranking_key: str):
    return cache.get(ranking_key) if enabled() else None


def put(ranking_key: str, ranking) -> bool:
    """Keep the ranking; whether it was (not when SEARCH_RANKING_SECONDS is 0)."""
    if enabled():
        cache.set(ranking_key, ranking, settings.SEARCH_RANKING_SECONDS)
    return enabled()


def generation() -> str:
    """The library's current generation; a new one when the cache has none (evicted, or a fresh cache)."""
    current = cache.get(GENERATION_KEY)
    if current is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, None)
        current = cache.get(GENERATION_KEY)
    return current or ""


def renew_generation() -> None:
    """Photos changed what searches find: every kept ranking is left behind."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
