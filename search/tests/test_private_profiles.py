"""A private profile's photos are seen only by the users a staff member allowed: pages, API, thumbnails, similar."""

import pytest
from django.urls import reverse

from accounts.models import ApiToken
from profiles.models import InstagramProfile, Photo, PrivateProfileAccess

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_sailor(ana):
    """Ana tracks @sailor, which turned out to be private, and no staff member has allowed her yet."""
    sailor = InstagramProfile.objects.get(username="sailor")
    sailor.is_private = True
    sailor.save(update_fields=["is_private"])
    return sailor


@pytest.fixture
def token(ana):
    return {"Authorization": f"Bearer {ApiToken.issue(user=ana, name='script')[1]}"}


def boat():
    return Photo.objects.get(post__shortcode="Boat")


def page_total(client) -> int:
    return client.get(reverse("search"), {"q": "boat at sunset"}).context["result"].total


def test_it_keeps_a_private_profile_out_of_the_searches_of_a_user_not_allowed(signed_in_client, private_sailor, token):
    assert page_total(signed_in_client) == 0
    assert signed_in_client.get("/api/search", {"q": "boat at sunset"}, headers=token).json()["total"] == 0


def test_a_user_allowed_by_staff_finds_its_photos(signed_in_client, private_sailor, token, ana):
    PrivateProfileAccess.objects.create(profile=private_sailor, user=ana)
    assert page_total(signed_in_client) > 0
    body = signed_in_client.get("/api/search", {"q": "boat at sunset"}, headers=token).json()
    assert body["results"][0]["post"] == "Boat"
    assert signed_in_client.get(reverse("photo_thumbnail", args=[boat().pk])).status_code == 200


@pytest.mark.parametrize("name", ["photo_detail", "photo_similar", "photo_thumbnail", "photo_image"])
def test_its_photos_are_not_found_by_a_user_not_allowed(signed_in_client, private_sailor, name):
    assert signed_in_client.get(reverse(name, args=[boat().pk])).status_code == 404


def test_more_like_this_leaves_its_photos_out(signed_in_client, private_sailor, token, ana, django_user_model):
    # Ana is allowed and sees the lake's neighbours; Ben tracks @sailor too, unallowed, and gets a 404.
    PrivateProfileAccess.objects.create(profile=private_sailor, user=ana)
    lake = Photo.objects.get(post__shortcode="Carousel", position=1)
    assert signed_in_client.get(f"/api/photos/{lake.pk}/similar", headers=token).json()
    ben = django_user_model.objects.create_user("ben")
    private_sailor.trackings.create(user=ben)
    bens = {"Authorization": f"Bearer {ApiToken.issue(user=ben, name='b')[1]}"}
    assert signed_in_client.get(f"/api/photos/{lake.pk}/similar", headers=bens).status_code == 404


def test_the_api_lists_neither_the_profile_nor_its_jobs(client, private_sailor, token):
    private_sailor.jobs.create(kind="sync", message="12 new posts.")
    assert client.get("/api/profiles", headers=token).json() == []
    assert client.get("/api/jobs", headers=token).json() == []
    assert client.get("/api/search", {"q": "boat", "profile": "sailor"}, headers=token).status_code == 404


def test_its_page_is_not_found_and_the_list_says_why(signed_in_client, private_sailor):
    assert signed_in_client.get(reverse("profile_detail", args=["sailor"])).status_code == 404
    home = signed_in_client.get(reverse("home")).text
    assert "@sailor is a private profile: it stays out of your list and your" in home
    assert 'id="profile-sailor"' not in home
