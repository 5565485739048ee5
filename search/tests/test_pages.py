import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from profiles.models import Photo, Tracking
from profiles.tests.factories import make_photo, make_post, make_profile
from search.services import photos_search

pytestmark = pytest.mark.django_db


def search(client, headers=None, **params):
    return client.get(reverse("search"), params, headers=headers or {})


def test_the_search_page_shows_results_with_their_post_and_why(signed_in_client):
    page = search(signed_in_client, q="boat at sunset").content.decode()
    assert "<h1>Find a photo</h1>" in page
    assert "https://www.instagram.com/p/Boat/" in page
    assert "<mark>boat</mark>" in page
    assert "Described much as you put it" in page


def test_htmx_gets_only_the_results_fragment(signed_in_client):
    response = search(signed_in_client, headers={"HX-Request": "true"}, q="boat at sunset")
    fragment = response.content.decode()
    assert "https://www.instagram.com/p/Boat/" in fragment
    assert "<h1>" not in fragment and "<html" not in fragment
    assert "HX-Request" in response["Vary"]


def test_the_query_stays_in_the_url_and_the_form(signed_in_client):
    page = search(signed_in_client, q="chat sur un canapé").content.decode()
    assert 'value="chat sur un canapé"' in page


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "x" * 2000}, "Ensure this value has at most 300 characters"),
        ({"q": "boat", "profile": "stranger"}, "Select a valid choice. stranger is not one of the available choices."),
        ({"q": "boat", "after": "2024-05-01", "before": "2024-01-01"}, "The end of the date range is before"),
        ({"q": "boat", "after": "yesterday"}, "Enter a valid date."),
        ({"q": "boat", "kind": "reel"}, "Select a valid choice. reel is not one of the available choices."),
    ],
)
def test_bad_input_gets_a_message_on_the_page(signed_in_client, params, message):
    make_profile("stranger")
    response = search(signed_in_client, **params)
    assert response.status_code == 200
    assert message in response.content.decode()


def test_nothing_matching_gets_an_empty_state(signed_in_client):
    assert "No photo matches" in search(signed_in_client, q="xqzv wplkj").content.decode()


def test_more_results_come_a_page_at_a_time(signed_in_client, ana, monkeypatch):
    monkeypatch.setattr("search.services.PAGE_SIZE", 2)
    total = photos_search(user=ana, query="outdoors").total
    assert total > 2
    first = search(signed_in_client, q="outdoors").content.decode()
    assert first.count('class="hit"') == 2
    assert "page=2" in first
    more = search(signed_in_client, headers={"HX-Request": "true"}, q="outdoors", page="2").content.decode()
    assert more.count('class="hit"') == min(2, total - 2)
    assert '<p class="summary">' not in more


def test_a_thumbnail_is_made_once_and_served_to_those_who_track_the_profile(signed_in_client, media_root):
    photo = Photo.objects.filter(post__shortcode="Boat").get()
    response = signed_in_client.get(reverse("photo_thumbnail", args=[photo.pk]))
    assert (response.status_code, response["Content-Type"]) == (200, "image/webp")
    thumbnails = list((media_root / "thumbnails").iterdir())
    signed_in_client.get(reverse("photo_thumbnail", args=[photo.pk]))
    assert list((media_root / "thumbnails").iterdir()) == thumbnails


def test_another_user_cannot_open_a_photo_of_a_profile_they_do_not_track(client, ana):
    ben = get_user_model().objects.create_user("ben")
    client.force_login(ben)
    photo = Photo.objects.filter(post__shortcode="Boat").get()
    for name in ("photo_thumbnail", "photo_image", "photo_detail", "photo_similar"):
        assert client.get(reverse(name, args=[photo.pk])).status_code == 404


def test_the_lightbox_fragment_shows_the_full_image_and_the_post(signed_in_client):
    photo = Photo.objects.filter(post__shortcode="Boat").get()
    fragment = signed_in_client.get(reverse("photo_detail", args=[photo.pk]), headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert reverse("photo_image", args=[photo.pk]) in html
    assert "Golden hour on the water" in html


def test_more_like_this_finds_the_photo_that_looks_the_same(client, db, tiny_models):
    # Tiny random CLIP: only identical images are reliably nearest, which is what this pins down.
    from search.indexing import photos_index

    user = get_user_model().objects.create_user("cleo")
    profile = make_profile("painter")
    Tracking.objects.create(user=user, profile=profile)
    red = make_photo(post=make_post(profile=profile, shortcode="Red1"))
    twin = make_photo(post=make_post(profile=profile, shortcode="Red2"))
    blue = make_photo(post=make_post(profile=profile, shortcode="Blue"))
    blue.image.save("blue.jpg", _solid("blue"))
    photos_index(photo_ids=[red.pk, twin.pk, blue.pk])
    client.force_login(user)
    page = client.get(reverse("photo_similar", args=[red.pk])).content.decode()
    assert page.index(reverse("photo_detail", args=[twin.pk])) < page.index(reverse("photo_detail", args=[blue.pk]))


def _solid(colour):
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return ContentFile(buffer.getvalue(), name="solid.jpg")


@pytest.mark.parametrize("view", ["photo_detail", "photo_similar"])
def test_pages_that_answer_htmx_with_a_fragment_tell_caches_so(signed_in_client, ana, view):
    photo = Photo.objects.filter(post__shortcode="Boat").get()
    for headers in ({}, {"HX-Request": "true"}):
        response = signed_in_client.get(reverse(view, args=[photo.pk]), headers=headers)
        assert response.status_code == 200
        assert "HX-Request" in response["Vary"]
    assert "HX-Request" in search(signed_in_client, q="boat")["Vary"]


def test_each_result_shows_the_words_that_matched_and_where(signed_in_client):
    page = search(signed_in_client, q="Lisbon").content.decode()
    assert '<span class="where">Place:</span> <mark>Lisbon</mark>, Portugal' in page
    body = signed_in_client.get("/api/search", {"q": "Lisbon"}).json()
    assert {"field": "place", "excerpt": "Lisbon, Portugal"} in body["results"][0]["matched"]


def test_search_its_photos_from_a_profile_page_lists_that_profiles_posts_newest_first(signed_in_client, ana):
    profile_page = signed_in_client.get(reverse("profile_detail", args=["sailor"])).text
    link = re.search(r'href="(/search/\?profile=[^"]+)">Search its photos', profile_page).group(1)
    response = signed_in_client.get(link)
    assert not response.context["form"].errors
    shortcodes = [hit.post.shortcode for hit in response.context["result"].hits]
    assert len(shortcodes) == 6 and shortcodes[-1] == "Tram"  # the oldest post last
    assert "6 posts, newest first" in response.text
