"""Search by a photo: the same photo first, however it was copied, then photos that look alike.

    upload --> checked like every image (size, type, pixels; core.images) and decoded in memory,
               never stored
    --> perceptual hashes (core.perceptual) --> a GIN probe of their bands --> exact Hamming
        distances: copies of the same photo, nearest first
    --> its image-text vector, where that model is on --> HNSW neighbours: photos that look alike

Only photos of the profiles the user tracks are compared (every profile's for `manage.py search`
without --user). The perceptual path needs no model: with the image-text model off, copies are
still found; the vectors only add the look-alikes after them.
"""

import io

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from pgvector.django import CosineDistance
from PIL import Image

from core import perceptual
from core.images import ImageRefused, load_for_models
from profiles.models import Photo
from search.ml.errors import ModelUnavailable
from search.services import PAGE_SIZE, photos_scope
from search.types import PostHit, SearchFilters, SearchResult
from search.vectors import nearest

# Hashes this far apart or nearer (of 64 bits) are copies of one photo. The multi-probe lookup finds
# every one within 7 bits, and most further ones (they rarely differ in all four bands at once).
SAME_PHOTO_DISTANCE = 12


class ImageSearchError(ValueError):
    """The upload cannot be searched with; the message is for the person who sent it."""


def image_upload_read(file) -> Image.Image:
    """The uploaded photo (a binary file), checked and decoded for search; ImageSearchError says why not."""
    limit = settings.SEARCH_IMAGE_MAX_BYTES
    data = file.read(limit + 1) if file else b""
    if not data:
        raise ImageSearchError(_("Choose a photo to search with."))
    if len(data) > limit:
        raise ImageSearchError(
            _("This photo is too big: up to %(size)d MB, please.") % {"size": limit // (1024 * 1024)}
        )
    try:
        # Once, at the size the models read (JPEG's draft mode): type, pixel count and every byte checked.
        return load_for_models(io.BytesIO(data), accepted_only=True)
    except ImageRefused as refused:
        raise ImageSearchError(_("This file cannot be searched with: %(why)s.") % {"why": refused}) from None


def photos_by_image(*, user, image, filters: SearchFilters = SearchFilters(), limit: int = PAGE_SIZE) -> SearchResult:
    """The posts whose photo is this one (nearest copy first), then those that look like it (module docstring)."""
    scope = photos_scope(user=user, filters=filters)
    copies = photos_same_image(scope=scope, image=image, limit=limit)
    alike, missing = {}, []
    if settings.IMAGE_TEXT_MODEL:
        try:
            alike = photos_looking_alike(scope=scope, image=image, limit=limit)
        except ModelUnavailable as exc:
            missing.append(str(exc))
    ranked = [(pk, 1 - distance / 64, "same") for pk, distance in copies]
    ranked += [
        (pk, similarity, "alike") for pk, similarity in sorted(alike.items(), key=lambda item: (-item[1], item[0]))
    ]
    post_of = dict(Photo.objects.filter(pk__in=[pk for pk, _, _ in ranked]).values_list("pk", "post_id"))
    chosen: dict[int, tuple[int, float, str]] = {}  # one result per post: its first photo in that order
    for pk, score, signal in ranked:
        chosen.setdefault(post_of[pk], (pk, score, signal))
    ordered = list(chosen.values())[:limit]
    photos = Photo.objects.select_related("post__profile").in_bulk([photo_id for photo_id, _, _ in ordered])
    hits = [
        PostHit(post=photos[pk].post, photo=photos[pk], score=score, signals=[signal], exact=[], terms=[])
        for pk, score, signal in ordered
    ]
    return SearchResult(query="", hits=hits, total=len(hits), missing_models=missing, by_image=True)


def photos_same_image(*, scope: QuerySet[Photo], image, limit: int) -> list[tuple[int, int]]:
    """(photo id, distance) of the photos in scope that are copies of `image`, nearest first."""
    hashes = perceptual.query_hashes(image)
    keys = sorted({key for value in hashes for key in perceptual.probes(value)})
    with transaction.atomic(), connection.cursor() as cursor:
        # Through the GIN index, always: PostgreSQL cannot tell how few rows share a band with the
        # query, and would rather compare every row's bands with every probe (seconds at 20,000 photos).
        cursor.execute("SELECT set_config('enable_seqscan', 'off', true)")
        cursor.execute("SELECT id, image_hashes FROM profiles_photo WHERE image_hash_bands && %s::integer[]", [keys])
        candidates = cursor.fetchall()
    if not candidates:
        return []
    # A few thousand candidates at 100,000 photos: their distances take a millisecond here, where
    # PostgreSQL's bit_count over each row's hashes took forty.
    owners = np.repeat(np.arange(len(candidates)), [len(stored) for _, stored in candidates])
    stored = np.array([value for _, values in candidates for value in values], dtype=np.int64).view(np.uint64)
    wanted = np.array(hashes, dtype=np.int64).view(np.uint64)
    pairs = np.bitwise_count(stored[:, None] ^ wanted[None, :]).min(axis=1)
    nearest = np.full(len(candidates), 64, dtype=np.uint8)
    np.minimum.at(nearest, owners, pairs)
    close = {candidates[i][0]: int(nearest[i]) for i in np.flatnonzero(nearest <= SAME_PHOTO_DISTANCE)}
    allowed = scope.filter(pk__in=list(close)).values_list("pk", flat=True)  # the user's profiles only
    return sorted(((pk, close[pk]) for pk in allowed), key=lambda found: (found[1], found[0]))[:limit]


def photos_looking_alike(*, scope: QuerySet[Photo], image, limit: int) -> dict[int, float]:
    """{photo id: cosine similarity} of the photos in scope nearest to `image` by the image-text model."""
    # The whole model, vision tower included, loads on the first search by a photo in this process
    # (the web process too), never at import.
    from search.ml import registry

    vector = registry.get("image_text").embed_images([image])[0]
    indexed = scope.with_current_image_vector()
    ids = nearest(indexed, "image_embedding", vector, limit)
    distances = Photo.objects.filter(pk__in=ids).annotate(d=CosineDistance("image_embedding", vector))
    return {pk: 1 - d for pk, d in distances.values_list("pk", "d")}
