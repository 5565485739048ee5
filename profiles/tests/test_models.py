import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from profiles.models import InstagramProfile, Post, Tracking
from profiles.tests.factories import make_photo, make_post, make_profile

pytestmark = pytest.mark.django_db


def test_it_stores_usernames_lower_cased():
    assert make_profile("NatGeoTravel").username == "natgeotravel"


def test_it_refuses_the_same_username_differently_cased():
    make_profile("natgeotravel")
    with pytest.raises(IntegrityError):
        make_profile("NATGEOTRAVEL")


def test_the_database_itself_refuses_a_differently_cased_duplicate():
    # bulk_create skips save(), so only the functional unique index stands in the way.
    make_profile("natgeotravel")
    with pytest.raises(IntegrityError):
        InstagramProfile.objects.bulk_create([InstagramProfile(username="NatGeoTravel")])


@pytest.mark.parametrize("username", ["", "has space", "a" * 31, "émile", "semi;colon", "@natgeo"])
def test_it_rejects_usernames_instagram_would_not_allow(username):
    with pytest.raises(ValidationError) as error:
        InstagramProfile(username=username).full_clean()
    assert "username" in error.value.message_dict


@pytest.mark.parametrize("username", ["a", "nat.geo_travel", "x" * 30, "Jo_2024"])
def test_it_accepts_usernames_instagram_allows(username):
    InstagramProfile(username=username).full_clean()


def test_it_refuses_a_duplicate_shortcode():
    post = make_post(shortcode="CxYz123")
    with pytest.raises(IntegrityError):
        Post.objects.create(profile=post.profile, shortcode="CxYz123", taken_at=post.taken_at)


def test_a_user_tracks_a_profile_once():
    user = get_user_model().objects.create_user("ana")
    profile = make_profile()
    Tracking.objects.create(user=user, profile=profile)
    with pytest.raises(IntegrityError):
        Tracking.objects.create(user=user, profile=profile)


def test_a_post_links_to_instagram():
    assert make_post(shortcode="CxYz123").permalink == "https://www.instagram.com/p/CxYz123/"


def test_a_photo_keeps_its_file_and_its_size(media_root):
    photo = make_photo()
    assert (photo.width, photo.height) == (64, 48)
    assert (media_root / photo.image.name).is_file()
    assert photo.image.name == "photos/natgeotravel/C1a2b3c4d5e_1.jpg"


def test_a_post_holds_one_photo_per_position():
    photo = make_photo()
    with pytest.raises(IntegrityError):
        make_photo(post=photo.post, position=1)


def test_a_photo_knows_its_slide_number_only_in_a_carousel():
    profile = make_profile()
    carousel = make_post(profile, shortcode="Ccarousel", kind=Post.Kind.CAROUSEL)
    single = make_post(profile, shortcode="Csingle", kind=Post.Kind.IMAGE)
    assert (make_photo(carousel, position=2).slide, make_photo(single, position=1).slide) == (2, None)
