"""A search query as the models see it: its vectors, from a cache when it was asked recently.

This is all the web process ever runs of the models: the text side of the image-text model and
the text embedder, loaded on the first query (never at import), then kept by the process.
"""

import hashlib
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.core.cache import cache

from core import timing
from search.ml.availability import model_path
from search.ml.errors import ModelUnavailable

CACHE_SECONDS = 24 * 3600

# Sentences about unrelated things, in both languages: how similar two texts that mean nothing
# alike look to a text model sets the floor under which a text match means nothing.
UNRELATED = [
    "a red boat at sunset", "two children playing football in a park", "a plate of pasta with tomato sauce",
    "snow on the mountains", "a cat asleep on a sofa", "an old man reading a newspaper", "a crowded city street",
    "a bowl of ramen", "a dog jumping into a lake", "a wedding dress in a shop window", "a guitar on a stage",
    "surfers riding a wave", "a bicycle leaning on a wall", "a bride and groom dancing", "a field of sunflowers",
    "un croissant sur une table", "la tour Eiffel la nuit", "un chien sur la plage", "des livres dans une bibliothèque",
    "une voiture rouge garée", "un marché aux poissons", "un feu de camp en forêt", "une église de village",
    "a laptop on a desk", "fireworks over a river", "a horse in a meadow", "a birthday cake with candles",
    "a skier on a slope", "a train station platform", "a woman painting a canvas",
]  # fmt: skip


@dataclass
class QueryVectors:
    image_text: np.ndarray | None  # None where that model is not configured, or not on this machine
    text: np.ndarray | None
    missing: list[ModelUnavailable] = field(default_factory=list)  # what search goes without, and why


def query_vectors(query: str) -> QueryVectors:
    """The query's vector for each configured model; a query asked recently costs no model at all.

    The cache is read for both models in one round trip. The missing vectors are made in the
    calling thread, before the search asks PostgreSQL anything: on 2 cores, encoding in a thread
    of its own while the full-text candidates were gathered made both slower, and one models'
    thread per process made searches under load wait seconds on each other (bench/load.py).

    A model that is not on this machine (not downloaded yet) is left out and named in `missing`:
    search then goes on with the signals it has, full text at least.
    """
    vectors, to_encode = _cached_vectors(query)
    if to_encode:
        _encode_all(query, vectors, to_encode)
    return vectors


def _roles() -> list[tuple[str, str]]:
    return [(role, model) for role, model in [("image_text", settings.IMAGE_TEXT_MODEL), ("text", settings.TEXT_MODEL)]
            if model]  # fmt: skip


def _cache_key(role: str, model: str, query: str) -> str:
    # Vectors from int8 encoders and full-precision ones differ a little: never served for each other.
    key = f"{role}\0{model}\0{'int8' if settings.ML_QUERY_INT8 else 'full'}\0{query}"
    return "query-vector:" + hashlib.sha256(key.encode()).hexdigest()


def _cached_vectors(query: str) -> tuple[QueryVectors, list[tuple[str, str]]]:
    """The vectors of this query in the cache, and the (role, model) pairs still to encode."""
    vectors = QueryVectors(image_text=None, text=None)
    to_encode = []
    roles = _roles()
    with timing.stage("query_cache"):
        keys = {role: _cache_key(role, model, query) for role, model in roles}
        stored = cache.get_many(list(keys.values())) if keys else {}
    for role, model in roles:
        if (found := stored.get(keys[role])) is not None:
            setattr(vectors, role, np.frombuffer(found, dtype=np.float32))
        elif model_path(model) is None:  # not downloaded: no need to import torch to learn it
            vectors.missing.append(ModelUnavailable(role, model, reason="not downloaded yet"))
        else:
            to_encode.append((role, model))
    return vectors, to_encode


def _encode_all(query: str, vectors: QueryVectors, to_encode: list[tuple[str, str]]) -> None:
    from search.ml import registry, runtime  # torch: imported on the first query, never at import

    made = {}
    for role, model in to_encode:
        try:
            encoder = registry.get(role, for_queries=True)
            # ONNX Runtime's encoders have threads of their own; torch's run in the request's thread,
            # with every core if no other query is being encoded.
            threads = nullcontext() if encoder.own_threads else runtime.query_threads(parallel=role == "image_text")
            with threads, timing.stage(f"encode_{role}"):
                vector = encoder.embed_queries([query])[0]
        except ModelUnavailable as missing:
            vectors.missing.append(missing)
            continue
        vector = np.asarray(vector, dtype=np.float32)
        setattr(vectors, role, vector)
        made[_cache_key(role, model, query)] = vector.tobytes()
    if made:
        cache.set_many(made, CACHE_SECONDS)


def text_floor() -> float:
    """The text-vector similarity above which a match means something, for the configured text model.

    Measured once per model (and kept in the cache): the 90th percentile of the similarities of
    unrelated sentences, as queries against passages, the way searches compare them (tuned on
    Flickr8k's dev split: higher hides true matches worded differently; lower lets nonsense through).
    """
    key = "text-floor:" + hashlib.sha256(f"{settings.TEXT_MODEL}\0{settings.ML_QUERY_INT8}".encode()).hexdigest()
    if (floor := cache.get(key)) is not None:
        return floor
    from search.ml import registry

    model = registry.get("text", for_queries=True)  # the web process's: it loads no other
    queries, passages = model.embed_queries(UNRELATED), model.embed_passages(UNRELATED)
    similarities = queries @ passages.T
    unrelated = similarities[~np.eye(len(UNRELATED), dtype=bool)]
    floor = float(np.percentile(unrelated, 90))
    cache.set(key, floor, None)
    return floor


def image_calibration() -> tuple[float, float]:
    """(scale, bias) that turn the image-text model's cosines into its own logits; kept in the cache."""
    key = "image-calibration:" + hashlib.sha256(settings.IMAGE_TEXT_MODEL.encode()).hexdigest()
    if (calibration := cache.get(key)) is not None:
        return calibration
    from search.ml import registry

    calibration = registry.get("image_text", for_queries=True).calibration()
    cache.set(key, calibration, None)
    return calibration


def text_scale() -> float:
    """How many logits a unit of cosine is worth to the text model (its training temperature's inverse)."""
    if settings.TEXT_SIMILARITY_SCALE:
        return settings.TEXT_SIMILARITY_SCALE
    # E5 was trained at temperature 0.01; sentence-transformers models at scale 20.
    return 100.0 if "e5" in settings.TEXT_MODEL.lower() else 20.0
