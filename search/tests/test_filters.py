"""SearchFilters.of_usernames: the one way usernames become a caller's filters (the search API, saved searches)."""

import pytest
from django.contrib.auth import get_user_model

from accounts.models import ApiToken
from profiles.models import PrivateProfileAccess, Tracking
from profiles.tests.factories import make_profile
from search.types import SearchFilters, UnknownProfiles

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(db):
    user = get_user_model().objects.create_user("reader")
    for name in ("natgeotravel", "sailor"):
        Tracking.objects.create(user=user, profile=make_profile(name))
    return user


@pytest.mark.parametrize("typed", ["sailor", "@sailor", "Sailor", "@SAILOR", " sailor "])
def test_a_username_is_found_with_or_without_its_at_sign_in_any_case(reader, typed):
    filters = SearchFilters.of_usernames(user=reader, usernames=[typed], sort="date")
    assert filters == SearchFilters(
        profile_ids=(Tracking.objects.get(profile__username="sailor").profile_id,), sort="date"
    )


def test_no_username_means_every_tracked_profile(reader):
    assert SearchFilters.of_usernames(user=reader, usernames=[]).profile_ids == ()


def test_the_usernames_not_tracked_are_named_as_typed(reader):
    make_profile("chef")
    with pytest.raises(UnknownProfiles, match=r"^You do not track @chef, nobody\.$") as refused:
        SearchFilters.of_usernames(user=reader, usernames=["@chef", "sailor", "nobody"])
    assert refused.value.names == ["@chef", "nobody"]


def test_a_private_profile_the_user_may_not_see_is_unknown(reader):
    private = make_profile("hidden", is_private=True)
    Tracking.objects.create(user=reader, profile=private)
    with pytest.raises(UnknownProfiles):
        SearchFilters.of_usernames(user=reader, usernames=["hidden"])
    PrivateProfileAccess.objects.create(user=reader, profile=private)
    assert SearchFilters.of_usernames(user=reader, usernames=["hidden"]).profile_ids == (private.pk,)


@pytest.mark.parametrize(
    ("path", "method", "body"),
    [
        ("/api/search", "get", {"q": "boat", "profile": "@sailor"}),
        ("/api/saved-searches", "post", {"q": "boat", "profile": ["@sailor"]}),
    ],
)
def test_the_search_api_and_saved_searches_read_usernames_alike(client, reader, path, method, body):
    _, key = ApiToken.issue(user=reader, name="script")
    headers = {"Authorization": f"Bearer {key}"}
    if method == "get":
        response = client.get(path, body, headers=headers)
    else:
        response = client.post(path, body, content_type="application/json", headers=headers)
    assert response.status_code in (200, 201), response.content
