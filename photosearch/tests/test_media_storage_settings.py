"""Where media go, read from the environment: local files by default, a bucket when one is named."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from photosearch.storage import media_storage


def test_without_a_bucket_media_are_local_files():
    assert media_storage({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_media_storage_url_names_the_bucket_its_prefix_endpoint_and_region():
    storage = media_storage({"MEDIA_STORAGE_URL": "s3://photos/site?endpoint_url=http://minio:9000&region=eu-west-1"})
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"] == {
        "bucket_name": "photos",
        "location": "site",
        "endpoint_url": "http://minio:9000",
        "region_name": "eu-west-1",
        "addressing_style": "path",  # MinIO's way, with no DNS name per bucket
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 300,
        "file_overwrite": False,
    }


def test_credentials_in_media_storage_url_are_unquoted():
    options = media_storage({"MEDIA_STORAGE_URL": "s3://AKIA%2F1:s%40cret%2Fkey@photos"})["OPTIONS"]
    assert (options["access_key"], options["secret_key"], options["bucket_name"]) == ("AKIA/1", "s@cret/key", "photos")
    assert "addressing_style" not in options  # Amazon S3 itself: its own default


def test_the_usual_aws_variables_name_a_bucket_too():
    options = media_storage(
        {"AWS_STORAGE_BUCKET_NAME": "photos", "AWS_S3_ENDPOINT_URL": "https://s3.example.org", "AWS_LOCATION": "/p/"}
    )["OPTIONS"]
    assert (options["bucket_name"], options["endpoint_url"], options["location"]) == (
        "photos",
        "https://s3.example.org",
        "p",
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://photos.s3.amazonaws.com", "must look like s3://BUCKET"),
        ("s3://photos?endpoint=http://minio:9000", "unknown parameters endpoint: use endpoint_url, region"),
    ],
)
def test_a_media_storage_url_that_cannot_be_read_stops_with_a_message(url, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        media_storage({"MEDIA_STORAGE_URL": url})
