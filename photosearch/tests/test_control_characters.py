"""Control characters (NUL first: PostgreSQL refuses it) get a 400 and a sentence on every form and the API."""

import pytest
from django.urls import reverse

from jobs.models import Job
from photosearch.middleware import MESSAGE
from profiles.models import Tracking
from profiles.tests.factories import make_profile

pytestmark = pytest.mark.django_db

CONTROL_CHARACTERS = [chr(code) for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]]

# Every form of the pages, with each of its fields, as a person would send them.
FORMS = {
    "search": ("get", "search", {"q": "boat", "profile": "natgeotravel", "after": "2024-01-01", "before": "2024-12-31",
                                 "kind": "image", "sort": "date", "page": "1"}),
    "add a profile": ("post", "profile_add", {"profile": "natgeotravel"}),
    "API tokens": ("post", "api_tokens", {"name": "backup script"}),
    "password change": ("post", "password_change", {"old_password": "x", "new_password1": "y", "new_password2": "y"}),
    "log in": ("post", "login", {"username": "ada", "password": "x"}),
    "sign up": ("post", "signup", {"username": "ben", "email": "ben@example.org", "password1": "x", "password2": "x"}),
    "password reset": ("post", "password_reset", {"email": "ada@example.org"}),
}  # fmt: skip


@pytest.mark.parametrize("form", FORMS)
def test_each_field_of_each_form_refuses_each_control_character_with_a_sentence(signed_in_client, user, form):
    Tracking.objects.create(user=user, profile=make_profile("natgeotravel"))
    method, name, fields = FORMS[form]
    send = getattr(signed_in_client, method)
    for field in fields:
        for character in CONTROL_CHARACTERS:
            response = send(reverse(name), {**fields, field: f"a{character}b"})
            assert response.status_code == 400, (field, hex(ord(character)))
            assert MESSAGE in response.text
    assert not Job.objects.exists()  # nothing was acted upon


def test_a_control_character_in_a_path_is_a_400_not_a_500(signed_in_client):
    response = signed_in_client.get("/@nat%00geo/")
    assert (response.status_code, MESSAGE in response.text) == (400, True)


@pytest.mark.parametrize("character", CONTROL_CHARACTERS)
def test_the_api_refuses_each_control_character_with_a_sentence_in_json(signed_in_client, character):
    response = signed_in_client.get("/api/search", {"q": f"a{character}b"})
    assert (response.status_code, response.json()) == (400, {"detail": MESSAGE})


def test_tabs_and_line_breaks_are_not_control_characters_to_refuse(signed_in_client):
    assert signed_in_client.get(reverse("search"), {"q": "red\tboat\nat sunset"}).status_code == 200
