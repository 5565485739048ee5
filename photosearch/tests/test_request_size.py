"""Bodies are bounded before they are read: a 413 and a sentence for a request over its path's limit,
whoever sends it, signed in or not; a body sent without a length is read up to the limit, never further."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import PASSWORD

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


class UnreadBody(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, size=-1):
        raise AssertionError("the body was read")


def announce(client, path: str, size: int, **extra):
    """A multipart POST whose headers announce `size` bytes, none of which may be read."""
    return client.generic(
        "POST", path, CONTENT_TYPE="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(size), **{"wsgi.input": UnreadBody()}, **extra,
    )  # fmt: skip


def test_it_refuses_300_mb_announced_to_search_by_photo_before_the_log_in_is_checked(client, settings):
    settings.SEARCH_IMAGE_MAX_BYTES = 8 * MB
    response = announce(client, reverse("search_by_image"), 300 * MB)
    assert response.status_code == 413
    assert "This photo is too big: up to 8 MB, please." in response.text


def test_the_api_says_so_in_json(client, settings):
    settings.SEARCH_IMAGE_MAX_BYTES = 8 * MB
    response = announce(client, "/api/search/by-image", 9 * MB)
    assert response.status_code == 413
    assert response.json() == {"detail": "This photo is too big: up to 8 MB, please."}


def test_a_french_browser_is_refused_in_french(client, settings):
    settings.SEARCH_IMAGE_MAX_BYTES = 8 * MB
    response = announce(client, "/api/search/by-image", 9 * MB, HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")
    assert response.status_code == 413
    assert response.json() == {"detail": "Cette photo est trop lourde\u00a0: 8\u00a0Mo au plus, s\u2019il vous plaît."}


def test_htmx_gets_the_forms_error_alone(client, settings):
    settings.REQUEST_MAX_BYTES = 1 * MB
    response = announce(client, reverse("login"), 2 * MB, HTTP_HX_REQUEST="true")
    assert response.status_code == 413
    assert response.text.strip() == '<p class="error" role="alert">This request is too big: up to 1 MB.</p>'


def test_each_path_has_its_own_limit(admin_client, settings):
    settings.SEARCH_IMAGE_MAX_BYTES, settings.IMPORT_UPLOAD_MAX_BYTES, settings.REQUEST_MAX_BYTES = 8 * MB, 64 * MB, MB
    assert announce(admin_client, reverse("login"), 2 * MB).status_code == 413
    assert announce(admin_client, reverse("search_by_image"), 9 * MB).status_code == 413
    assert announce(admin_client, reverse("admin:profiles_import_zip"), 65 * MB).status_code == 413


def test_the_admins_zip_may_be_bigger_than_any_other_body(admin_client, settings):
    settings.IMPORT_UPLOAD_MAX_BYTES, settings.REQUEST_MAX_BYTES = 4 * MB, MB
    archive = SimpleUploadedFile("profile.zip", b"not a zip" * (2 * MB // 9))
    response = admin_client.post(reverse("admin:profiles_import_zip"), {"archive": archive})
    assert response.status_code == 200  # read, and answered by the form itself
    assert "This file is not a zip." in response.text


def chunked(client, path: str, body: io.BytesIO, content_type: str):
    """A POST without Content-Length, as gunicorn hands on a chunked one: a stream that ends where the body does."""
    return client.generic(
        "POST", path, CONTENT_TYPE=content_type, CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": body, "wsgi.input_terminated": True},
    )  # fmt: skip


def test_a_chunked_body_past_the_limit_is_cut_there(client, settings):
    settings.REQUEST_MAX_BYTES = 1 * MB
    stream = io.BytesIO(b"x" * (3 * MB))
    response = chunked(client, reverse("login"), stream, "application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert stream.tell() == MB + 1  # read one byte past the limit, and no further


def test_a_chunked_body_within_the_limit_is_read_in_full(client, user):
    body = f"username=ada&password={PASSWORD}".encode()
    response = chunked(client, reverse("login"), io.BytesIO(body), "application/x-www-form-urlencoded")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)
