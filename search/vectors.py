"""How a search finds the photos nearest to a vector within its scope: exactly, by the vectors' bits, or by HNSW.

    a scope of whole profiles, of under bits_scan_below(library) photos
        -> the photos nearest by their vectors' sign bits (search.models.VectorBits), then by their vectors
    another scope (a date or kind filter), of under exact_scan_below(library) photos
        -> every photo compared with the query (exact)
    any larger scope
        -> HNSW's iterative scan, filtered to the scope, its first batch the larger the smaller the
           scope's share of the library (ef_search)

HNSW walks its graph until it has found enough photos of the scope, a longer way the smaller the
scope's share of the library; scanning the scope costs its size. They cost the same where the share
is about sqrt(candidates / library), so both thresholds grow with the square root of the library
(bench/search_latency.py, filtered_by_share). At 100,000 photos, per vector column: 2,000 photos
took 15 ms exactly (the vectors are read out of line, 1.5 kB each) and 13 ms through HNSW; 20,000
photos 130 ms exactly, 24 ms through HNSW, 5 ms by their bits, against 5 ms unscoped.
"""

import hashlib
import math
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from operator import itemgetter

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Count, QuerySet
from pgvector import HalfVector
from pgvector.django import CosineDistance

from profiles.models import Photo
from search.fulltext import lexeme_counts
from search.models import VectorBits

EXACT_SCAN_PER_ROOT = 10
EXACT_SCAN_MIN = 2000
BITS_SCAN_PER_ROOT = 100
# How many photos nearest by bits are compared by their vectors, per candidate wanted: the bits only
# choose which photos to compare (bench/search_latency.py's filtered recall_at_10).
BITS_RERANK = 8
# How long a scope's size is kept: a user's tracked profiles grow slowly, and a stale count only
# chooses between ways of finding the same photos.
SCOPE_SIZE_SECONDS = 600
# How many candidates an HNSW scan keeps (ef_search): a bigger library needs more for the same recall
# (bench/search_latency.py's recall_by_ef_search), one per this many photos, from the candidates asked
# for up to pgvector's cap. At a million photos, 500: with the graphs built with ef_construction 128,
# recall@10 is 0.999 there (0.989 at 250), and a scan keeping 1,000 costs three times one keeping 500.
PHOTOS_PER_EF = 2000
MAX_EF_SEARCH = 1000
# A scope's share of the library, times the candidates an iterative scan keeps at first, is how many of
# its photos that first batch holds: where it was about the candidates asked for, half the scans needed
# a second batch, as long again (at a million photos, a fifth tracked: p95 34 ms with 500 kept, 25 ms
# with 600, 18 ms unscoped; half tracked at 100,000: 13 ms with 100, 11 ms with 250). So a first batch
# holds a quarter more of the scope's photos than asked for (bench/search_latency.py, filtered_by_share).
SCOPED_EF_MARGIN = 1.25
PROFILE_PHOTOS_KEY = "photos-per-profile"
# Each vector column's bits, and the model whose vectors they are.
BITS = {
    "image_embedding": ("image_bits", "image_model", "IMAGE_TEXT_MODEL"),
    "text_embedding": ("text_bits", "text_model", "TEXT_MODEL"),
}


class Scan(StrEnum):
    EXACT = "exact"
    BITS = "bits"
    INDEX = "index"


def exact_scan_below(photos: int) -> int:
    """Under how many photos a scope is compared exactly, in a library of `photos`."""
    return max(EXACT_SCAN_MIN, round(EXACT_SCAN_PER_ROOT * math.sqrt(photos)))


def bits_scan_below(photos: int) -> int:
    """Under how many photos a scope of whole profiles is scanned by its vectors' bits, in a library of `photos`."""
    return max(exact_scan_below(photos), round(BITS_SCAN_PER_ROOT * math.sqrt(photos)))


def scan_for(scope: QuerySet[Photo], photos: int, *, profile_ids: list[int] | None = None) -> Scan:
    """How to find the nearest photos of this scope, in a library of `photos`.

    profile_ids: the profiles the scope is made of, when it is exactly their photos (no date or kind
    filter): the bits are kept by profile. Counting stops at the larger threshold, so a big scope
    costs no more than a small one to tell; the count is kept a few minutes, for the same user's
    next searches.
    """
    below = bits_scan_below(photos) if profile_ids is not None else exact_scan_below(photos)
    try:
        sql, params = scope.query.sql_with_params()
    except EmptyResultSet:  # no profile at all (a user who tracks none): nothing to compare
        return Scan.EXACT
    key = "scope-size:" + hashlib.sha256(f"{below}\0{sql}\0{params}".encode()).hexdigest()
    size = cache.get(key)
    if size is None:
        size = scope[:below].count()
        cache.set(key, size, SCOPE_SIZE_SECONDS)
    if size >= below:
        return Scan.INDEX
    return Scan.BITS if profile_ids is not None else Scan.EXACT


def ef_search(limit: int, photos: int, share: float = 1.0) -> int:
    """How many candidates an HNSW scan keeps, for `limit` results in a library of `photos`.

    share: the scope's share of the library, for a scan filtered to it (SCOPED_EF_MARGIN); none counted
    yet (photos given their vectors since the count) is the smallest share, the most candidates.
    """
    if share >= 1:
        scoped = 0
    elif share > 0:
        scoped = math.ceil(SCOPED_EF_MARGIN * limit / share)
    else:
        scoped = MAX_EF_SEARCH
    return min(MAX_EF_SEARCH, max(limit, 40, photos // PHOTOS_PER_EF, scoped))


def profiles_share(profile_ids: list[int]) -> float:
    """The share of the library's photos with vectors that these profiles hold (0 to 1).

    Counted for every profile at once from their bits' index, and kept a few minutes for every process:
    it chooses how far a scan looks at first, never what it finds.
    """
    counts = cache.get(PROFILE_PHOTOS_KEY)
    if counts is None:
        rows = VectorBits.objects.order_by().values_list("profile_id").annotate(photos=Count("pk"))
        counts = dict(rows)
        cache.set(PROFILE_PHOTOS_KEY, counts, SCOPE_SIZE_SECONDS)
    library = sum(counts.values())
    return min(1.0, sum(counts.get(pk, 0) for pk in set(profile_ids)) / library) if library else 1.0


def first_batch_share(scan: Scan, profile_ids: list[int] | None) -> float:
    """The share of the library an HNSW scan's first batch is sized for: the profiles' if the scan goes
    through the index for whole profiles, else all of it (a date or kind filter's share is not counted)."""
    return profiles_share(profile_ids) if scan == Scan.INDEX and profile_ids is not None else 1.0


@contextmanager
def vector_search(
    *, limit: int, exact: bool = False, photos: int = 0, share: float = 1.0, ef: int | None = None
) -> Iterator[None]:
    """A transaction whose settings suit a search's queries: they hold inside it (SET LOCAL), no longer.

    The HNSW scan keeps ef_search(limit, photos, share) candidates, or `ef` (and, filtered to some
    profiles or dates, goes on until it has `limit` rows that pass); exact: no index scan, every
    photo in scope compared.

    No parallel workers: starting one costs more than these queries (4 ms of a 6 ms full-text
    query). No hash joins but for exact scans: without a parallel plan, the planner would hash all
    the posts of the scope to join a few hundred full-text matches to them (21 ms at 100,000 photos,
    where looking each one up takes 4 ms). No merge joins either, for the same reason: the planner
    would read every post through its primary key to join 1,800 full-text matches (31 ms for the
    query, against 12 ms looking each one up).
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('hnsw.ef_search', %s, true), set_config('hnsw.iterative_scan', 'relaxed_order', true),"
            " set_config('enable_indexscan', %s, true), set_config('enable_hashjoin', %s, true),"
            " set_config('enable_mergejoin', %s, true), set_config('max_parallel_workers_per_gather', '0', true)",
            [
                str(ef or ef_search(limit, photos, share)),
                "off" if exact else "on",
                "on" if exact else "off",
                "on" if exact else "off",
            ],
        )
        yield


def nearest(
    scope: QuerySet[Photo],
    field: str,
    vector,
    limit: int,
    *,
    scan: Scan = Scan.INDEX,
    profile_ids: list[int] | None = None,
    photos: int | None = None,
    ef: int | None = None,
) -> set[int]:
    """Ids of the `limit` photos of scope nearest to vector, found the `scan` way (see the module's docstring).

    profile_ids: the scope's profiles, for Scan.BITS (and their share, for Scan.INDEX). photos: the library's
    size (counted if not given). ef: the HNSW scan's ef_search, instead of the one for this library's size
    and this scope's share (bench/search_latency.py).
    """
    photos = lexeme_counts([])[1] if photos is None else photos
    share = first_batch_share(scan, profile_ids)
    with vector_search(limit=limit, exact=scan == Scan.EXACT, photos=photos, share=share, ef=ef):
        return nearest_ids(scope, field, vector, limit, bits_of=profile_ids if scan == Scan.BITS else None)


def nearest_ids(scope: QuerySet[Photo], field: str, vector, limit: int, *, bits_of: list[int] | None = None) -> set:
    """nearest() inside a vector_search() transaction.

    bits_of: the profiles whose photos, with a vector of the configured model, are the whole scope:
    the photos nearest by their vectors' bits are then compared by their vectors, in one query.
    """
    if bits_of is None:
        scope = scope.filter(**{f"{field}__isnull": False})
        return set(scope.order_by(CosineDistance(field, vector)).values_list("pk", flat=True)[:limit])
    bits, model_column, model_setting = BITS[field]
    query = HalfVector(vector).to_text()
    with connection.cursor() as cursor:
        # Unordered, sorted here: with an ORDER BY, the planner could walk the HNSW graph for these few photos.
        cursor.execute(
            f"SELECT photo.id, photo.{field} <=> %s::halfvec FROM profiles_photo photo WHERE photo.id IN ("
            f" SELECT photo_id FROM search_vectorbits WHERE profile_id = ANY(%s) AND {model_column} = hashtext(%s)"
            f" ORDER BY {bits} <~> binary_quantize(%s::halfvec) LIMIT %s)",
            [query, bits_of, getattr(settings, model_setting), query, limit * BITS_RERANK],
        )
        return {pk for pk, _ in sorted(cursor.fetchall(), key=itemgetter(1))[:limit]}
