"""The search service, with the real all-MiniLM-L6-v2 text model on a handful of photos."""

from datetime import date

import numpy as np
import pytest
from django.contrib.auth import get_user_model

from profiles.models import Tracking
from profiles.tests.factories import make_photo, make_post, make_profile
from search.ml import registry
from search.services import photos_search
from search.tests.conftest import shortcodes
from search.types import SearchError, SearchFilters

pytestmark = pytest.mark.django_db


def test_it_ranks_a_paraphrase_of_the_description_first(ana):
    assert shortcodes(photos_search(user=ana, query="boat sailing in the evening"))[0] == "Boat"


def test_an_exact_hashtag_comes_first(ana):
    result = photos_search(user=ana, query="#sunset")
    assert shortcodes(result)[0] == "Tagged"
    assert result.hits[0].exact == ["#sunset"]


def test_a_place_asked_for_comes_first(ana):
    result = photos_search(user=ana, query="Lisbon")
    assert shortcodes(result)[0] == "Tram"
    assert result.hits[0].exact == ["Lisbon"]


def test_french_words_match_their_other_forms_and_accents_do_not_matter(ana):
    assert "Dog" in shortcodes(photos_search(user=ana, query="plages"))
    assert "Pasta" in shortcodes(photos_search(user=ana, query="CAFE"))


def test_a_carousel_is_one_result_showing_its_best_slide(ana):
    result = photos_search(user=ana, query="a cat sleeping on a couch")
    assert shortcodes(result)[0] == "Carousel"
    assert result.hits[0].photo.slide == 2
    assert shortcodes(result).count("Carousel") == 1


def test_what_matches_nothing_is_not_shown(ana):
    assert photos_search(user=ana, query="xqzv wplkj").total == 0


def test_another_user_never_sees_these_photos(ana):
    ben = get_user_model().objects.create_user("ben")
    Tracking.objects.create(user=ben, profile=make_profile("chef"))
    assert photos_search(user=ben, query="red boat at sunset").total == 0


def test_a_filter_on_a_profile_the_user_does_not_track_is_refused(ana):
    other = make_profile("stranger")
    with pytest.raises(SearchError, match="only search the profiles you track"):
        photos_search(user=ana, query="boat", filters=SearchFilters(profile_ids=(other.pk,)))


def test_filters_narrow_by_kind_and_date(ana):
    carousels = photos_search(user=ana, query="a cat on a sofa", filters=SearchFilters(kinds=("carousel",)))
    assert set(shortcodes(carousels)) == {"Carousel"}
    in_2023 = SearchFilters(taken_after=date(2023, 1, 1), taken_before=date(2023, 12, 31))
    assert set(shortcodes(photos_search(user=ana, query="tram in a street", filters=in_2023))) == {"Tram"}


def test_sorting_by_date_puts_the_newest_first(ana):
    result = photos_search(user=ana, query="a walk", filters=SearchFilters(sort="date"))
    dates = [hit.post.taken_at for hit in result.hits]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize("query", ["", "   ", "x" * 2000])
def test_an_empty_or_overlong_query_gets_a_message(ana, query):
    with pytest.raises(SearchError):
        photos_search(user=ana, query=query)


@pytest.mark.parametrize(
    "query", ["🚤🌅", "the of and a", "' & | ! :* \\", "boat' OR 1=1; --", "sunset:* & !dog | (beach", "a:b:c"]
)
def test_odd_queries_answer_without_an_error(ana, query):
    result = photos_search(user=ana, query=query)
    assert result.total >= 0
    assert all(hit.post.profile.username == "sailor" for hit in result.hits)


def test_a_recent_query_is_answered_without_running_a_model(ana, monkeypatch):
    first = shortcodes(photos_search(user=ana, query="a dog at the seaside"))
    registry.forget()
    monkeypatch.setattr(registry, "_load", lambda *args, **kwargs: pytest.fail("a model was loaded"))
    assert shortcodes(photos_search(user=ana, query="a dog at the seaside")) == first


def test_without_its_models_search_goes_on_with_words_and_says_what_is_missing(ana, settings):
    settings.TEXT_MODEL = "intfloat/multilingual-e5-small"  # not downloaded on this machine
    result = photos_search(user=ana, query="spaghetti")
    assert shortcodes(result) == ["Pasta"]
    assert result.hits[0].signals == ["fulltext"]
    assert len(result.missing_models) == 1
    assert "'intfloat/multilingual-e5-small'" in result.missing_models[0]
    assert "python manage.py download_models" in result.missing_models[0]


def test_a_photo_found_by_its_alt_text_says_which_words_and_where(ana):
    post = make_post(Tracking.objects.get(user=ana).profile, "Light", caption="Evening on the coast")
    make_photo(post, alt_text="May be an image of a white lighthouse on a rock above the sea", description_model="")
    hit = next(hit for hit in photos_search(user=ana, query="lighthouse").hits if hit.post.shortcode == "Light")
    assert [(match.field, match.excerpt) for match in hit.matched] == [
        ("alt text", "May be an image of a white lighthouse on a rock above the sea")
    ]


def test_a_query_asked_again_is_not_encoded_again(ana, monkeypatch):
    from django.core.cache import cache

    from search import query
    from search.ml import registry

    calls, get = [], registry.get

    def get_and_count(*args, **kwargs):
        calls.append(args)
        return get(*args, **kwargs)

    monkeypatch.setattr(registry, "get", get_and_count)
    cache.clear()
    first = query.query_vectors("a red boat at sunset")
    assert calls  # encoded
    calls.clear()
    again = query.query_vectors("a red boat at sunset")
    assert calls == [] and np.allclose(again.text, first.text)  # from the cache: no model ran


@pytest.mark.parametrize(
    ("photos", "expected"), [(0, 100), (100_000, 100), (300_000, 150), (1_000_000, 500), (5_000_000, 1000)]
)
def test_an_index_scan_keeps_more_candidates_as_the_library_grows(db, photos, expected):
    from django.db import connection

    from search.vectors import ef_search, vector_search

    assert ef_search(100, photos) == expected
    with vector_search(limit=100, photos=photos), connection.cursor() as cursor:
        cursor.execute("SHOW hnsw.ef_search")
        assert int(cursor.fetchone()[0]) == expected


@pytest.mark.parametrize(("photos", "expected"), [(1_000, 500), (100_000, 1_000), (150_000, 1_500), (1_000_000, 2_000)])
def test_a_word_is_too_common_to_bring_candidates_above_a_share_of_the_library_and_a_cap(photos, expected):
    from search.services import common_word_photos

    assert common_word_photos(photos) == expected
