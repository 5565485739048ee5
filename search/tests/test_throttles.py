"""Searches are rate-limited per user, on the pages and the API together: each new query runs two encoders."""

import pytest
from django.urls import reverse

from accounts.models import ApiToken

pytestmark = pytest.mark.django_db


def test_it_limits_searches_per_user_on_the_pages_and_the_api(signed_in_client, client, ana, settings):
    settings.THROTTLE_RATES = settings.THROTTLE_RATES | {"search": (2, 60)}
    token = {"Authorization": f"Bearer {ApiToken.issue(user=ana, name='script')[1]}"}
    assert signed_in_client.get(reverse("search"), {"q": "boat"}).status_code == 200
    assert client.get("/api/search", {"q": "boat"}, headers=token).status_code == 200

    page = signed_in_client.get(reverse("search"), {"q": "dog"})
    assert (page.status_code, 0 < int(page["Retry-After"]) <= 60) == (429, True)
    assert "Too many searches in a short time: try again in" in page.text
    fragment = signed_in_client.get(reverse("search"), {"q": "dog"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 429 and fragment.text.startswith('<p class="error" role="alert">Too many')
    api = client.get("/api/search", {"q": "dog"}, headers=token)
    assert api.status_code == 429 and api.json()["detail"].startswith("Too many searches in a short time")
    assert int(api["Retry-After"]) > 0


def test_browsing_a_profile_without_words_is_not_counted(signed_in_client, settings):
    settings.THROTTLE_RATES = settings.THROTTLE_RATES | {"search": (1, 60)}
    for _ in range(3):
        assert signed_in_client.get(reverse("search"), {"profile": "sailor"}).status_code == 200


def test_searches_by_a_photo_count_with_the_searches_by_words(signed_in_client, client, ana, settings):
    settings.THROTTLE_RATES = settings.THROTTLE_RATES | {"search": (1, 60)}
    token = {"Authorization": f"Bearer {ApiToken.issue(user=ana, name='script')[1]}"}
    assert signed_in_client.get(reverse("search"), {"q": "boat"}).status_code == 200
    assert signed_in_client.post(reverse("search_by_image"), {}).status_code == 429
    assert client.post("/api/search/by-image", {}, headers=token).status_code == 429
