"""A search's ranking is kept a minute for its next pages and repeats, and never outlives what it ranked."""

from django.contrib.auth import get_user_model

from core import timing
from profiles.models import Photo, Tracking
from profiles.tests.factories import make_profile
from search.indexing import photos_index
from search.services import photos_search
from search.tests.conftest import post_with, shortcodes
from search.types import SearchFilters


def searched(user, query, **kwargs):
    """The result, and whether this search ranked the photos itself (rather than reuse a kept ranking)."""
    with timing.recorded() as stages:
        result = photos_search(user=user, query=query, **kwargs)
    return result, "ranking" in stages


def test_the_same_words_asked_again_reuse_the_ranking(ana):
    first, ranked = searched(ana, "a dog at the seaside")
    again, ranked_again = searched(ana, "a dog at the seaside")
    assert ranked and not ranked_again
    assert shortcodes(again) == shortcodes(first) and again.total == first.total
    assert [hit.signals for hit in again.hits] == [hit.signals for hit in first.hits]


def test_other_words_or_filters_are_ranked_afresh(ana):
    searched(ana, "a dog at the seaside")
    assert searched(ana, "a boat at sunset")[1]
    assert searched(ana, "a dog at the seaside", filters=SearchFilters(sort="date"))[1]


def test_a_ranking_is_never_shown_to_someone_tracking_other_profiles(ana):
    searched(ana, "a dog at the seaside")
    bob = get_user_model().objects.create_user("bob")
    Tracking.objects.create(user=bob, profile=make_profile("baker"))
    result, ranked = searched(bob, "a dog at the seaside")
    assert ranked and result.hits == []


def test_photos_indexed_since_are_found_at_once(ana, django_capture_on_commit_callbacks):
    before, _ = searched(ana, "a lighthouse on a cliff")
    assert "Light" not in shortcodes(before)
    photos = post_with(Tracking.objects.get(user=ana).profile, "Light", "a white lighthouse on a cliff above the sea")
    with django_capture_on_commit_callbacks(execute=True) as committed:  # the index pass's commit
        photos_index(photo_ids=[photo.pk for photo in photos])
    assert committed
    after, ranked = searched(ana, "a lighthouse on a cliff")
    assert ranked and shortcodes(after)[0] == "Light"


def test_a_photo_deleted_since_is_left_out_of_the_kept_ranking(ana):
    first, _ = searched(ana, "a dog at the seaside")
    gone = first.hits[0].post
    Photo.objects.filter(post=gone).delete()
    gone.delete()
    again, ranked = searched(ana, "a dog at the seaside")
    assert not ranked
    assert gone.shortcode not in shortcodes(again) and shortcodes(again) == shortcodes(first)[1:]


def test_kept_rankings_can_be_turned_off(ana, settings):
    settings.SEARCH_RANKING_SECONDS = 0
    searched(ana, "a dog at the seaside")
    assert searched(ana, "a dog at the seaside")[1]


def test_the_cards_of_a_kept_ranking_are_rendered_once_and_again_after_indexing(
    signed_in_client, django_capture_on_commit_callbacks
):
    def cards():
        response = signed_in_client.get("/search/", {"q": "a dog at the seaside"}, HTTP_HX_REQUEST="true")
        return response.content.decode(), "search/_cards.html" in [template.name for template in response.templates]

    first, rendered_first = cards()
    again, rendered_again = cards()
    assert rendered_first and not rendered_again
    assert again.count('class="hit"') == first.count('class="hit"') > 0
    photos = post_with(Tracking.objects.get(user__username="ana").profile, "Pup", "a dog at the seaside, wet")
    with django_capture_on_commit_callbacks(execute=True):
        photos_index(photo_ids=[photo.pk for photo in photos])
    after, rendered_after = cards()
    assert rendered_after and "/p/Pup/" in after and "/p/Pup/" not in again
