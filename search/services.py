"""Search the photos of the profiles a user tracks, by description; and find photos like a photo.

    query --> query vectors (search.query, cached) --> candidates from three places:
        the image-text HNSW index, the text HNSW index, PostgreSQL full text
    --> every candidate scored on every signal, exactly --> one fused score (search.scoring)
    --> a relevance floor --> one result per post (its best photo) --> a page

Only photos of profiles the user tracks are ever read (every profile's for `manage.py search`
without --user, an administrator's view), and only vectors made by the configured models are ever
compared.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchRank
from django.db.models import CharField, F, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext as _
from pgvector.django import CosineDistance

from core import timing
from core.throttle import throttle
from profiles.models import InstagramProfile, Photo, Post
from search import query as query_module
from search import ranking_cache
from search.fulltext import fulltext_lexemes, fulltext_query, inverse_document_frequency, lexeme_counts, matched_share
from search.highlights import photo_matches
from search.scoring import Candidate, Weights, exact_terms, rank
from search.types import (
    MAX_QUERY_LENGTH,
    QUERY_EMPTY,
    QUERY_TOO_LONG,
    PostHit,
    SearchError,
    SearchFilters,
    SearchResult,
)
from search.vectors import Scan, first_batch_share, nearest, nearest_ids, scan_for, vector_search

PAGE_SIZE = 24
# A word in more photos than both of these brings no full-text candidates of its own; nor one in
# more than COMMON_WORD_MAX_PHOTOS: at a million photos, 1% let words in 10,000 photos each through,
# and ranking them was most of a search (72 ms at p50, 186 ms at p95, bench/search_latency.py).
COMMON_WORD_SHARE = 0.01
COMMON_WORD_PHOTOS = 500
COMMON_WORD_MAX_PHOTOS = 2000


# A result's photo shows none of these: reading them back would be most of the page's query.
UNSHOWN_FIELDS = ("image_embedding", "text_embedding", "image_hashes", "image_hash_bands", "search_vector")


def photos_scope(*, user, filters: SearchFilters = SearchFilters()) -> QuerySet[Photo]:
    """The photos a user may search: those of the profiles they track, narrowed by the filters.

    user=None is the administrator's view (`manage.py search` without --user): every stored profile.
    """
    return _scope(searchable_profile_ids(user=user, filters=filters), filters)


def searchable_profile_ids(*, user, filters: SearchFilters = SearchFilters()) -> list[int]:
    """The profiles a search covers, in order: those the user tracks, or those of the filter among them."""
    profiles = InstagramProfile.objects.all() if user is None else InstagramProfile.objects.tracked_by(user)
    allowed = set(profiles.values_list("pk", flat=True))
    if filters.profile_ids:
        if not set(filters.profile_ids) <= allowed:
            raise SearchError(_("You can only search the profiles you track."))
        allowed = set(filters.profile_ids)
    return sorted(allowed)


def _scope(profile_ids: list[int], filters: SearchFilters) -> QuerySet[Photo]:
    # The ids themselves, not a subquery: every candidate query then joins photos to posts only.
    photos = Photo.objects.filter(post__profile_id__in=profile_ids)
    if filters.taken_after:
        photos = photos.filter(post__taken_at__date__gte=filters.taken_after)
    if filters.taken_before:
        photos = photos.filter(post__taken_at__date__lte=filters.taken_before)
    if filters.kinds:
        photos = photos.filter(post__kind__in=filters.kinds)
    return photos


def search_count(*, user) -> None:
    """Count one more search by `user`; Throttled past SEARCHES_PER_MINUTE (each new query runs two text encoders)."""
    throttle(action="search", key=user.pk, message=_("Too many searches in a short time"))


def clean_query(query: str) -> str:
    query = " ".join((query or "").split())
    if not query:
        raise SearchError(QUERY_EMPTY)
    if len(query) > MAX_QUERY_LENGTH:
        raise SearchError(QUERY_TOO_LONG)
    return query


def current_weights(vectors: query_module.QueryVectors | None = None) -> Weights:
    """The fusion's weights for the configured models (for the signals this query has, given its vectors)."""
    has_image = settings.IMAGE_TEXT_MODEL and (vectors is None or vectors.image_text is not None)
    has_text = vectors is None or vectors.text is not None
    image_scale, image_bias = query_module.image_calibration() if has_image else (0.0, 0.0)
    return Weights(
        text_scale=query_module.text_scale(),
        fulltext=settings.SEARCH_FULLTEXT_WEIGHT,
        image_scale=image_scale,
        image_bias=image_bias,
        text_floor=query_module.text_floor() if has_text else 1.0,
    )


@dataclass
class Ranking:
    """A search's posts in order, each by its best photo, before any page is read: what search.ranking_cache keeps."""

    chosen: list[Candidate]
    lexemes: list[str]
    weights: Weights
    missing_models: list[str]


def photos_search(*, user, query: str, filters: SearchFilters = SearchFilters(), page: int = 1) -> SearchResult:
    """One page of the posts best matching the query (user=None: every profile's); see the module's docstring.

    A ranking made in the last minute for the same query, profiles and filters is reused
    (search.ranking_cache): the next page, or the same words asked again, cost only the page's query.
    """
    query = clean_query(query)
    with timing.stage("scope"):
        profile_ids = searchable_profile_ids(user=user, filters=filters)
    with timing.stage("ranking_cache"):
        ranking_key = ranking_cache.key(query=query, profile_ids=profile_ids, filters=filters)
        ranking = ranking_cache.get(ranking_key)
    kept = ranking is not None
    if ranking is None:
        ranking = _ranking(query, _scope(profile_ids, filters), filters, profile_ids)
        # One made without a missing model is not kept: once the model is here, searches use it.
        kept = not ranking.missing_models and ranking_cache.put(ranking_key, ranking)
    page = max(1, page)
    with timing.stage("page"):
        result = _result_page(query, ranking, page)
    result.ranking_key = ranking_key if kept else ""
    return result


def _ranking(query: str, scope: QuerySet[Photo], filters: SearchFilters, profile_ids: list[int]) -> Ranking:
    vectors = query_module.query_vectors(query)
    lexemes = fulltext_lexemes(query)
    # A scope of whole profiles (no date or kind filter) may be scanned by its vectors' bits (search.vectors).
    whole_profiles = profile_ids if not (filters.taken_after or filters.taken_before or filters.kinds) else None
    candidates = search_candidates(
        scope=scope, query=query, vectors=vectors, lexemes=lexemes, profile_ids=whole_profiles
    )
    with timing.stage("ranking"):
        weights = current_weights(vectors)
        best_per_post: dict[int, Candidate] = {}
        for candidate in rank(candidates, weights):
            best_per_post.setdefault(candidate.post_id, candidate)
        chosen = list(best_per_post.values())
        if filters.sort == "date":
            chosen.sort(key=lambda c: (c.taken_at, c.photo_id), reverse=True)
    return Ranking(chosen, lexemes, weights, missing_models=[str(problem) for problem in vectors.missing])


def _result_page(query: str, ranking: Ranking, page: int) -> SearchResult:
    """The page's posts, read with their profiles in one query, and what matched in each.

    A photo deleted since the ranking was made (a kept ranking is a minute old at most) is left out.
    """
    chosen_page = ranking.chosen[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    photos = (
        Photo.objects.select_related("post__profile").defer(*UNSHOWN_FIELDS).in_bulk([c.photo_id for c in chosen_page])
    )
    terms = [lexeme for lexeme in ranking.lexemes if len(lexeme) >= 3]
    hits = [
        PostHit(
            post=photos[c.photo_id].post,
            photo=photos[c.photo_id],
            score=c.score,
            signals=c.signals(ranking.weights),
            exact=c.exact,
            terms=terms,
            matched=photo_matches(photos[c.photo_id], terms),
        )
        for c in chosen_page
        if c.photo_id in photos
    ]
    total = len(ranking.chosen)
    return SearchResult(
        query=query,
        hits=hits,
        total=total,
        page=page,
        missing_models=ranking.missing_models,
        has_next=page * PAGE_SIZE < total,
    )


def photos_browse(*, user, filters: SearchFilters, page: int = 1) -> SearchResult:
    """The posts in the filters' scope, newest first, with no query ("Search its photos" on a profile)."""
    posts = Post.objects.filter(photos__in=photos_scope(user=user, filters=filters)).distinct().order_by("-taken_at")
    page = max(1, page)
    total = posts.count()
    chosen = list(posts.select_related("profile").prefetch_related("photos")[(page - 1) * PAGE_SIZE : page * PAGE_SIZE])
    hits = [
        PostHit(post=post, photo=post.photos.all()[0], score=0.0, signals=[], exact=[], terms=[]) for post in chosen
    ]
    return SearchResult(query="", hits=hits, total=total, page=page, has_next=page * PAGE_SIZE < total)


def search_candidates(
    *,
    scope: QuerySet[Photo],
    query: str,
    vectors: query_module.QueryVectors | None = None,
    lexemes: list[str] | None = None,
    limit: int | None = None,
    profile_ids: list[int] | None = None,
) -> list[Candidate]:
    """Every photo that any signal puts in its top `limit`, scored on every signal.

    A scope small for the library's size (a user tracking a few profiles, a filter) is compared
    exactly; a larger one, by its vectors' bits if it is made of whole profiles (`profile_ids`), or
    through HNSW's iterative scans (search.vectors).
    """
    limit = limit or settings.SEARCH_CANDIDATES
    vectors = vectors or query_module.query_vectors(query)
    lexemes = fulltext_lexemes(query) if lexemes is None else lexemes
    with timing.stage("word_counts"):
        counts, total = lexeme_counts(lexemes)
    weight_of = {lexeme: inverse_document_frequency(counts[lexeme], total) for lexeme in lexemes}
    # Candidates come from the words that say something: ranking every photo with a word found in
    # thousands ("man", "white") costs more than the rest of the search. They still count in scoring.
    tsquery = fulltext_query([lexeme for lexeme in lexemes if counts[lexeme] <= common_word_photos(total)])
    with timing.stage("scope_size"):
        scan = scan_for(scope, total, profile_ids=profile_ids)
        share = first_batch_share(scan, profile_ids)  # through HNSW, the smaller it is, the further it looks at first
    bits_of = profile_ids if scan == Scan.BITS else None
    # One transaction for every query below.
    with vector_search(limit=limit, exact=scan == Scan.EXACT, photos=total, share=share):
        return _candidates_scored(scope, query, vectors, lexemes, tsquery, weight_of, limit=limit, bits_of=bits_of)


def _candidates_scored(scope, query, vectors, lexemes, tsquery, weight_of, *, limit, bits_of) -> list[Candidate]:
    pool: set[int] = set()
    if tsquery is not None:
        with timing.stage("candidates_fulltext"):
            matching = scope.filter(search_vector=tsquery).annotate(rank=SearchRank(F("search_vector"), tsquery))
            pool |= set(matching.order_by("-rank").values_list("pk", flat=True)[:limit])
    if vectors.text is not None:
        with timing.stage("candidates_text"):
            text_scope = scope.with_current_text_vector()
            pool |= nearest_ids(text_scope, "text_embedding", vectors.text, limit, bits_of=bits_of)
    if vectors.image_text is not None:
        with timing.stage("candidates_image"):
            image_scope = scope.with_current_image_vector()
            pool |= nearest_ids(image_scope, "image_embedding", vectors.image_text, limit, bits_of=bits_of)
    if not pool:
        return []

    similarities = {}
    if vectors.text is not None:
        similarities["text_similarity"] = 1 - CosineDistance("text_embedding", vectors.text)
    if vectors.image_text is not None:
        similarities["image_similarity"] = 1 - CosineDistance("image_embedding", vectors.image_text)
    # Only the query's lexemes that each photo holds come back, not its whole tsvector.
    matched = RawSQL(
        "ARRAY(SELECT unnest(tsvector_to_array(profiles_photo.search_vector)) INTERSECT SELECT unnest(%s::text[]))",
        [lexemes],
        output_field=ArrayField(CharField()),
    )
    # Unordered: ranking orders them, and Photo's default order would cost a join and a sort.
    rows = Photo.objects.filter(pk__in=pool).annotate(matched=matched, **similarities).order_by()
    fields = ["pk", "post_id", "matched", "text_embedding_model", "image_embedding_model", *similarities]
    fields += ["post__hashtags", "post__mentions", "post__location_name", "post__taken_at"]
    with timing.stage("scoring"):
        rows = list(rows.values(*fields))
    candidates = []
    for row in rows:
        # A vector made by another model (before a reindex finished) is never compared.
        text = None
        if vectors.text is not None and row["text_embedding_model"] == settings.TEXT_MODEL:
            text = row["text_similarity"]
        image = None
        if vectors.image_text is not None and row["image_embedding_model"] == settings.IMAGE_TEXT_MODEL:
            image = row["image_similarity"]
        candidates.append(
            Candidate(
                photo_id=row["pk"],
                post_id=row["post_id"],
                taken_at=row["post__taken_at"],
                text=text,
                image=image,
                fulltext=matched_share(row["matched"], weight_of),
                exact=exact_terms(
                    query,
                    hashtags=row["post__hashtags"],
                    mentions=row["post__mentions"],
                    location=row["post__location_name"],
                ),
            )
        )
    return candidates


def common_word_photos(photos: int) -> float:
    """Above how many photos a word is too common to bring full-text candidates, in a library of `photos`."""
    return min(max(COMMON_WORD_SHARE * photos, COMMON_WORD_PHOTOS), COMMON_WORD_MAX_PHOTOS)


def photos_similar(*, user, photo_id: int, limit: int = PAGE_SIZE) -> list[Photo]:
    """Photos (of the profiles the user tracks) nearest to a photo, by image, else by text."""
    scope = photos_scope(user=user)
    photo = scope.filter(pk=photo_id).first()
    if photo is None:
        raise Photo.DoesNotExist
    if photo.image_embedding is not None and photo.image_embedding_model == settings.IMAGE_TEXT_MODEL:
        field, vector = "image_embedding", photo.image_embedding
    elif photo.text_embedding is not None and photo.text_embedding_model == settings.TEXT_MODEL:
        field, vector = "text_embedding", photo.text_embedding
    else:
        return []
    others = scope.exclude(post_id=photo.post_id).filter(**{f"{field}_model": getattr(photo, f"{field}_model")})
    # A small scope is compared exactly, as a search's is: HNSW's walk can end short of the photos of a
    # few profiles among many (or among many deleted rows it still holds).
    photos = lexeme_counts([])[1]
    ids = nearest(others, field, vector, limit, scan=scan_for(others, photos), photos=photos)
    found = Photo.objects.select_related("post__profile").in_bulk(ids)
    distances = dict(Photo.objects.filter(pk__in=ids).annotate(d=CosineDistance(field, vector)).values_list("pk", "d"))
    nearest_first = sorted(found.values(), key=lambda p: (distances[p.pk], p.pk))
    # One photo a post, its nearest: a reel's frames (or a carousel's slides), alike, do not fill the page.
    best: dict[int, Photo] = {}
    for photo in nearest_first:
        best.setdefault(photo.post_id, photo)
    return list(best.values())
