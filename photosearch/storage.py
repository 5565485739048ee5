"""Where photos and thumbnails are kept: local files by default, an S3-compatible bucket when configured.

MEDIA_STORAGE_URL names the bucket in one line:

    s3://BUCKET[/PREFIX]?endpoint_url=http://minio:9000&region=eu-west-1

Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or an instance role), or from the
URL itself (`s3://KEY:SECRET@BUCKET`, URL-quoted). Without it, the usual django-storages variables
(AWS_STORAGE_BUCKET_NAME, AWS_S3_ENDPOINT_URL, AWS_S3_REGION_NAME, AWS_LOCATION) do the same.
Objects are private: the web process streams them to users who track the profile, never a public URL.
"""

from collections.abc import Mapping
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

LOCAL = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
S3_BACKEND = "storages.backends.s3.S3Storage"
# The query parameters MEDIA_STORAGE_URL takes, and django-storages' name for each.
_URL_OPTIONS = {"endpoint_url": "endpoint_url", "region": "region_name", "addressing_style": "addressing_style"}
# Private objects whose names never collide: a second photo of the same name gets a new one, as on disk.
_PRIVATE = {"default_acl": None, "querystring_auth": True, "querystring_expire": 300, "file_overwrite": False}


def media_storage(env: Mapping[str, str]) -> dict:
    """STORAGES["default"] for this environment: the bucket MEDIA_STORAGE_URL or AWS_* name, else local files."""
    if url := env.get("MEDIA_STORAGE_URL", "").strip():
        options = _options_from_url(url)
    elif bucket := env.get("AWS_STORAGE_BUCKET_NAME", "").strip():
        options = {
            "bucket_name": bucket,
            "endpoint_url": env.get("AWS_S3_ENDPOINT_URL", "").strip() or None,
            "region_name": env.get("AWS_S3_REGION_NAME", "").strip() or None,
            "location": env.get("AWS_LOCATION", "").strip().strip("/"),
        }
    else:
        return dict(LOCAL)
    options = {name: value for name, value in options.items() if value not in (None, "")}
    if "endpoint_url" in options:
        # MinIO and most S3-compatible servers answer path-style requests; virtual hosts need DNS.
        options.setdefault("addressing_style", "path")
    return {"BACKEND": S3_BACKEND, "OPTIONS": options | _PRIVATE}


def _options_from_url(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.hostname:
        raise ImproperlyConfigured(
            f"MEDIA_STORAGE_URL={url!r} must look like s3://BUCKET[/PREFIX]?endpoint_url=https://host:9000"
        )
    query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    if unknown := sorted(set(query) - set(_URL_OPTIONS)):
        raise ImproperlyConfigured(
            f"MEDIA_STORAGE_URL has unknown parameters {', '.join(unknown)}: use {', '.join(_URL_OPTIONS)}."
        )
    # urlsplit lowercases hostname; bucket names are lowercase anyway, and the netloc keeps the original.
    bucket = parts.netloc.rsplit("@", 1)[-1]
    options = {"bucket_name": bucket, "location": parts.path.strip("/")}
    options |= {_URL_OPTIONS[name]: value for name, value in query.items()}
    if parts.username:
        options["access_key"] = unquote(parts.username)
        options["secret_key"] = unquote(parts.password or "")
    return options
