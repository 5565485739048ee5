"""A search query as the models see it: its vectors, from a cache when it was asked recently.

This is all the web process ever runs of the models: the text side of the image-text model and
the text embedder, loaded on the first query (never at import), then kept by the process.
"""

import hashlib
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.core.cache import cache

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

    A model that is not on this machine (not downloaded yet) is left out and named in `missing`:
    search then goes on with the signals it has, full text at least.
    """
    vectors = QueryVectors(image_text=None, text=None)
    for role, model, embed in [
        ("image_text", settings.IMAGE_TEXT_MODEL, _embed_with_image_text),
        ("text", settings.TEXT_MODEL, _embed_with_text),
    ]:
        if not model:
            continue
        if model_path(model) is None:  # not downloaded: no need to import torch to learn it
            vectors.missing.append(ModelUnavailable(role, model, reason="not downloaded yet"))
            continue
        try:
            setattr(vectors, role, _cached(role, model, query, embed))
        except ModelUnavailable as missing:
            vectors.missing.append(missing)
    return vectors


def _cached(role: str, model: str, query: str, embed) -> np.ndarray:
    key = "query-vector:" + hashlib.sha256(f"{role}\0{model}\0{query}".encode()).hexdigest()
    if (stored := cache.get(key)) is not None:
        return np.frombuffer(stored, dtype=np.float32)
    vector = np.asarray(embed(query), dtype=np.float32)
    cache.set(key, vector.tobytes(), CACHE_SECONDS)
    return vector


def _embed_with_image_text(query: str) -> np.ndarray:
    from search.ml import registry

    return registry.get("image_text", text_only=True).embed_texts([query])[0]


def _embed_with_text(query: str) -> np.ndarray:
    from search.ml import registry

    return registry.get("text").embed_queries([query])[0]


def text_floor() -> float:
    """The text-vector similarity above which a match means something, for the configured text model.

    Measured once per model (and kept in the cache): the 90th percentile of the similarities of
    unrelated sentences, as queries against passages, the way searches compare them (tuned on
    Flickr8k's dev split: higher hides true matches worded differently; lower lets nonsense through).
    """
    key = "text-floor:" + hashlib.sha256(settings.TEXT_MODEL.encode()).hexdigest()
    if (floor := cache.get(key)) is not None:
        return floor
    from search.ml import registry

    model = registry.get("text")
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

    calibration = registry.get("image_text", text_only=True).calibration()
    cache.set(key, calibration, None)
    return calibration


def text_scale() -> float:
    """How many logits a unit of cosine is worth to the text model (its training temperature's inverse)."""
    if settings.TEXT_SIMILARITY_SCALE:
        return settings.TEXT_SIMILARITY_SCALE
    # E5 was trained at temperature 0.01; sentence-transformers models at scale 20.
    return 100.0 if "e5" in settings.TEXT_MODEL.lower() else 20.0
