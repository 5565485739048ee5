"""Searches scoped to what a user tracks: a small scope is compared exactly, a large one through HNSW."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from profiles.models import Tracking
from profiles.tests.factories import make_photo, make_post, make_profile
from search import services
from search.indexing import photos_index

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(settings):
    """@tiny (2 photos) and @large (6 photos), indexed by the tiny models; Lea tracks @tiny, Max both."""
    photos, profiles = [], {}
    for name, count in [("tiny", 2), ("large", 6)]:
        profiles[name] = make_profile(name)
        photos += [make_photo(post=make_post(profile=profiles[name], shortcode=f"{name}{n}")) for n in range(count)]
    photos_index(photo_ids=[photo.pk for photo in photos])
    users = {}
    for name, tracked in [("lea", ["tiny"]), ("max", ["tiny", "large"])]:
        users[name] = get_user_model().objects.create_user(name)
        Tracking.objects.bulk_create(Tracking(user=users[name], profile=profiles[username]) for username in tracked)
    return users


@pytest.fixture
def threshold(monkeypatch):
    """Scopes under 4 photos are scanned exactly, at any library size here."""
    monkeypatch.setattr(services, "EXACT_SCAN_MIN", 4)
    monkeypatch.setattr(services, "EXACT_SCAN_PER_ROOT", 0)


def test_a_user_who_tracks_a_small_part_of_the_library_is_searched_exactly_with_no_filter(library, threshold):
    # Tracking is the scope of every real search: no filter is needed for the exact scan.
    assert services.scans_exactly(services.photos_scope(user=library["lea"]), photos=8)
    assert not services.scans_exactly(services.photos_scope(user=library["max"]), photos=8)


def test_the_threshold_grows_with_the_square_root_of_the_library():
    assert services.exact_scan_below(100) == services.EXACT_SCAN_MIN
    assert services.exact_scan_below(1_000_000) == 4 * services.exact_scan_below(62_500)


def test_an_exact_scan_and_the_index_find_the_same_photos_of_a_small_scope(library, threshold, monkeypatch):
    scope = services.photos_scope(user=library["lea"])
    exact = services.search_candidates(scope=scope, query="a photo of a boat")
    monkeypatch.setattr(services, "EXACT_SCAN_MIN", 0)  # the same scope, through HNSW's iterative scan
    through_index = services.search_candidates(scope=scope, query="a photo of a boat")
    assert not services.scans_exactly(scope, photos=8)
    assert sorted(c.photo_id for c in exact) == sorted(c.photo_id for c in through_index)
    assert {c.photo_id for c in exact} == set(scope.values_list("pk", flat=True))  # @tiny's two, none of @large


def test_a_scope_is_counted_once_for_the_next_searches_of_its_user(library, threshold):
    scope = services.photos_scope(user=library["max"])
    services.scans_exactly(scope, photos=8)
    with CaptureQueriesContext(connection) as queries:
        assert not services.scans_exactly(services.photos_scope(user=library["max"]), photos=8)
    assert not [query for query in queries if "COUNT" in query["sql"].upper()]
