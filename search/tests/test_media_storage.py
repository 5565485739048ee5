"""Photos and thumbnails in an S3-compatible bucket (moto's server), served only through the access check."""

import pytest
import requests
from django.contrib.auth import get_user_model
from django.urls import reverse

from profiles.models import Tracking
from profiles.tests.factories import jpeg_bytes, make_photo, make_post, make_profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def photo(media_bucket):
    return make_photo(post=make_post(profile=make_profile("sailor"), shortcode="Boat"))


def client_of(client, username, *, tracking=None):
    user = get_user_model().objects.create_user(username)
    if tracking:
        Tracking.objects.create(user=user, profile=tracking)
    client.force_login(user)
    return client


def test_a_photo_is_stored_in_the_bucket_not_on_local_disk(photo, bucket_keys, media_root):
    assert bucket_keys("photos/") == ["site/photos/sailor/Boat_1.jpg"]
    assert not media_root.exists()


def test_the_original_is_streamed_from_the_bucket_to_a_user_who_tracks_its_profile(client, photo):
    client = client_of(client, "ada", tracking=photo.post.profile)
    response = client.get(reverse("photo_image", args=[photo.pk]))
    assert (response.status_code, response["Content-Type"]) == (200, "image/jpeg")
    assert b"".join(response.streaming_content) == jpeg_bytes()
    assert response["Cache-Control"].startswith("private")


def test_a_thumbnail_is_made_in_the_bucket_once_and_served_through_the_access_check(client, photo, bucket_keys):
    client = client_of(client, "ada", tracking=photo.post.profile)
    response = client.get(reverse("photo_thumbnail", args=[photo.pk]))
    assert (response.status_code, response["Content-Type"]) == (200, "image/webp")
    assert b"".join(response.streaming_content).startswith(b"RIFF")
    thumbnails = bucket_keys("thumbnails/")
    assert len(thumbnails) == 1
    client.get(reverse("photo_thumbnail", args=[photo.pk]))
    assert bucket_keys("thumbnails/") == thumbnails


def test_a_user_who_does_not_track_the_profile_gets_neither_original_nor_thumbnail(client, photo):
    client = client_of(client, "ben")
    for name in ("photo_image", "photo_thumbnail"):
        assert client.get(reverse(name, args=[photo.pk])).status_code == 404


def test_the_bucket_does_not_hand_a_photo_to_an_unsigned_request(photo, s3_server, media_bucket):
    # Objects get no public ACL: the bucket's owner alone holds a grant, and a plain GET is refused.
    acl = photo.image.storage.connection.meta.client.get_object_acl(Bucket=media_bucket, Key="site/" + photo.image.name)
    assert [grant["Permission"] for grant in acl["Grants"]] == ["FULL_CONTROL"]
    assert requests.get(f"{s3_server}/{media_bucket}/site/{photo.image.name}", timeout=5).status_code == 403


def test_a_missing_original_in_the_bucket_is_a_404_not_a_500(client, photo):
    photo.image.storage.delete(photo.image.name)
    client = client_of(client, "ada", tracking=photo.post.profile)
    assert client.get(reverse("photo_image", args=[photo.pk])).status_code == 404
    assert client.get(reverse("photo_thumbnail", args=[photo.pk])).status_code == 404
