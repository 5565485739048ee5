"""Searches scoped to what a user tracks: small scopes by their vectors' bits or exactly, large ones by HNSW."""

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from profiles.models import Photo, Tracking
from profiles.tests.factories import make_photo, make_post, make_profile
from search import services, vectors
from search.indexing import photos_index_searchable
from search.models import VectorBits
from search.types import SearchFilters
from search.vectors import Scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(settings):
    """@tiny (2 photos) and @large (6 photos), indexed by the tiny models; Lea tracks @tiny, Max both."""
    photos, profiles = [], {}
    for name, count in [("tiny", 2), ("large", 6)]:
        profiles[name] = make_profile(name)
        photos += [make_photo(post=make_post(profile=profiles[name], shortcode=f"{name}{n}")) for n in range(count)]
    photos_index_searchable(photo_ids=[photo.pk for photo in photos])
    users = {}
    for name, tracked in [("lea", ["tiny"]), ("max", ["tiny", "large"])]:
        users[name] = get_user_model().objects.create_user(name)
        Tracking.objects.bulk_create(Tracking(user=users[name], profile=profiles[username]) for username in tracked)
    return users


@pytest.fixture
def threshold(monkeypatch):
    """Scopes under 4 photos are scanned by their bits (or exactly, if filtered) at any library size here."""
    monkeypatch.setattr(vectors, "EXACT_SCAN_MIN", 4)
    monkeypatch.setattr(vectors, "EXACT_SCAN_PER_ROOT", 0)
    monkeypatch.setattr(vectors, "BITS_SCAN_PER_ROOT", 0)


def scan_of(user, filters=SearchFilters()):
    scope = services.photos_scope(user=user, filters=filters)
    whole = services.searchable_profile_ids(user=user) if filters == SearchFilters() else None
    return vectors.scan_for(scope, 8, profile_ids=whole)


def candidates(user, query="a photo of a boat", **scan):
    scope = services.photos_scope(user=user)
    profile_ids = services.searchable_profile_ids(user=user) if scan.get("bits") else None
    return {c.photo_id for c in services.search_candidates(scope=scope, query=query, profile_ids=profile_ids)}


def test_a_user_who_tracks_a_small_part_of_the_library_is_searched_by_bits_and_a_large_part_by_the_index(
    library, threshold
):
    # Tracking is the scope of every real search: no filter is needed for the scan of the bits.
    assert scan_of(library["lea"]) == Scan.BITS
    assert scan_of(library["max"]) == Scan.INDEX


def test_a_small_scope_narrowed_by_a_date_or_a_kind_is_compared_exactly(library, threshold):
    # The bits are kept by profile only: a narrower scope is compared photo by photo.
    assert scan_of(library["lea"], SearchFilters(kinds=("image",))) == Scan.EXACT


def test_the_thresholds_grow_with_the_square_root_of_the_library():
    assert vectors.exact_scan_below(100) == vectors.EXACT_SCAN_MIN
    assert vectors.exact_scan_below(1_000_000) == 4 * vectors.exact_scan_below(62_500)
    assert vectors.bits_scan_below(1_000_000) == 4 * vectors.bits_scan_below(62_500)
    assert vectors.bits_scan_below(1_000_000) > vectors.exact_scan_below(1_000_000)


def test_the_bits_an_exact_scan_and_the_index_find_the_same_photos_of_a_small_scope(library, threshold, monkeypatch):
    by_bits = candidates(library["lea"], bits=True)
    monkeypatch.setattr(vectors, "BITS_SCAN_PER_ROOT", 0)
    exact = candidates(library["lea"])
    monkeypatch.setattr(vectors, "EXACT_SCAN_MIN", 0)  # the same scope, through HNSW's iterative scan
    through_index = candidates(library["lea"])
    assert by_bits == exact == through_index
    assert exact == set(services.photos_scope(user=library["lea"]).values_list("pk", flat=True))  # none of @large


def test_the_bits_choose_which_photos_to_compare_and_the_true_vectors_rank_them(library, settings, monkeypatch):
    # Lea's two photos: one with every sign of the query but pointing away from it, one a sign off and
    # almost the query itself. Bits alone would take the first; compared by their vectors, the second wins.
    monkeypatch.setattr(vectors, "BITS_RERANK", 2)
    dimensions = settings.TEXT_DIMENSIONS
    query = np.ones(dimensions, dtype=np.float32)
    same_signs, one_sign_off = np.full(dimensions, 1e-3), np.ones(dimensions)
    same_signs[0], one_sign_off[-1] = 1.0, -0.01
    first, second = services.photos_scope(user=library["lea"]).order_by("pk")
    Photo.objects.filter(pk=first.pk).update(text_embedding=same_signs)
    Photo.objects.filter(pk=second.pk).update(text_embedding=one_sign_off)
    scope = services.photos_scope(user=library["lea"]).with_current_text_vector()
    lea = services.searchable_profile_ids(user=library["lea"])

    assert vectors.nearest(scope, "text_embedding", query, 1, scan=Scan.BITS, profile_ids=lea) == {second.pk}
    monkeypatch.setattr(vectors, "BITS_RERANK", 1)  # the bits' first photo only: theirs is the choice
    assert vectors.nearest(scope, "text_embedding", query, 1, scan=Scan.BITS, profile_ids=lea) == {first.pk}


def test_the_bits_follow_every_vector_written_cleared_or_deleted(library, settings):
    photo = Photo.objects.filter(post__profile__username="tiny").first()
    bits = VectorBits.objects.get(photo=photo)
    assert bits.profile_id == photo.post.profile_id
    assert bits.text_bits is not None and bits.image_bits is not None
    assert len(bits.text_bits) == settings.TEXT_DIMENSIONS
    expected = "".join("1" if value > 0 else "0" for value in photo.text_embedding)
    assert bits.text_bits == expected

    Photo.objects.filter(pk=photo.pk).update(text_embedding=None, text_embedding_model="")  # a reindex clears it
    bits.refresh_from_db()
    assert bits.text_bits is None and bits.image_bits is not None

    Photo.objects.filter(pk=photo.pk).delete()
    assert not VectorBits.objects.filter(photo_id=photo.pk).exists()


def test_bits_of_another_model_are_never_compared(library, settings):
    scope = services.photos_scope(user=library["lea"]).with_current_text_vector()
    found = vectors.nearest(
        scope, "text_embedding", np.ones(settings.TEXT_DIMENSIONS), 10, scan=Scan.BITS, profile_ids=[]
    )
    assert found == set()  # no profile, no photo
    profile_ids = services.searchable_profile_ids(user=library["lea"])
    assert vectors.nearest(
        scope, "text_embedding", np.ones(settings.TEXT_DIMENSIONS), 10, scan=Scan.BITS, profile_ids=profile_ids
    )
    settings.TEXT_MODEL = "another/text-model"  # changed: its reindex has not run yet
    assert not vectors.nearest(
        scope, "text_embedding", np.ones(settings.TEXT_DIMENSIONS), 10, scan=Scan.BITS, profile_ids=profile_ids
    )


def test_a_scope_is_counted_once_for_the_next_searches_of_its_user(library, threshold):
    scan_of(library["max"])
    with CaptureQueriesContext(connection) as queries:
        assert scan_of(library["max"]) == Scan.INDEX
    assert not [query for query in queries if "COUNT" in query["sql"].upper()]


def test_photos_stored_before_the_bits_existed_get_theirs_when_it_migrates(transactional_db, settings):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([("search", None)])
    try:
        post = make_post(profile=make_profile("older"))
        photo_id = make_photo(post=post).pk
        vector = [-1.0, 1.0] * (settings.TEXT_DIMENSIONS // 2)
        Photo.objects.filter(pk=photo_id).update(text_embedding=vector, text_embedding_model="m")
    finally:
        MigrationExecutor(connection).migrate(latest)
    bits = VectorBits.objects.get(photo_id=photo_id)
    assert bits.profile_id == post.profile_id and bits.image_bits is None
    assert bits.text_bits == "01" * (settings.TEXT_DIMENSIONS // 2)


@pytest.mark.parametrize(
    ("photos", "share", "expected"),
    [
        (1_000_000, 0.2, 625),
        (100_000, 0.5, 250),
        (1_000_000, 0.5, 500),
        (1_000_000, 0.05, 1000),
        (100_000, 1.0, 100),
        (100_000, 0.0, 1000),
    ],
)
def test_a_scoped_index_scan_keeps_a_quarter_more_of_its_share_than_asked_for_in_its_first_batch(
    photos, share, expected
):
    # 100 of the scope's photos wanted: a first batch of 500 holds about 100 of a fifth's, too few half the time.
    assert vectors.ef_search(100, photos, share) == expected


def test_a_profiles_share_is_their_photos_with_vectors_over_the_librarys(library):
    cache.delete(vectors.PROFILE_PHOTOS_KEY)
    tiny, both = (services.searchable_profile_ids(user=library[name]) for name in ["lea", "max"])
    assert vectors.profiles_share(tiny) == 0.25  # 2 photos of 8
    assert vectors.profiles_share(both) == 1.0
    assert vectors.profiles_share([]) == 0.0


def test_a_search_through_the_index_of_part_of_the_library_looks_further_at_first(library, threshold):
    ann = get_user_model().objects.create_user("ann")
    Tracking.objects.create(user=ann, profile=Photo.objects.get(post__shortcode="large0").post.profile)
    cache.delete(vectors.PROFILE_PHOTOS_KEY)
    scope = services.photos_scope(user=ann)
    with CaptureQueriesContext(connection) as queries:
        found = services.search_candidates(
            scope=scope, query="a photo of a boat", profile_ids=services.searchable_profile_ids(user=ann)
        )
    settings_sent = [query["sql"] for query in queries if "hnsw.ef_search" in query["sql"]]
    assert settings_sent and "'167'" in settings_sent[-1]  # 100 wanted of 6 photos in 8: ceil(1.25 * 100 / 0.75)
    assert {candidate.photo_id for candidate in found} == set(scope.values_list("pk", flat=True))
