"""Per-user limits on what costs the shared Instagram account: how many profiles one account tracks, and
how often it asks for a refresh. Past them, a sentence."""

import pytest
from django.urls import reverse

from jobs.models import Job
from profiles.models import Tracking
from profiles.tests.factories import SYNCED, make_profile

pytestmark = pytest.mark.django_db


def test_it_refuses_one_profile_more_than_an_account_may_track_with_a_sentence(signed_in_client, user, settings):
    settings.TRACKED_PROFILES_PER_USER = 2
    for username in ("natgeotravel", "nasa"):
        assert signed_in_client.post(reverse("profile_add"), {"profile": username}).status_code == 302
    response = signed_in_client.post(reverse("profile_add"), {"profile": "bbcearth"})
    assert response.status_code == 400
    assert "You track 2 profiles, the most one account may: stop tracking one to add another." in response.text
    assert Tracking.objects.filter(user=user).count() == 2
    # Adding again one already tracked is no new place taken.
    assert signed_in_client.post(reverse("profile_add"), {"profile": "nasa"}).status_code == 302


def test_refreshes_are_limited_per_user_with_a_429_and_a_sentence(signed_in_client, user, settings):
    settings.THROTTLE_RATES = settings.THROTTLE_RATES | {"profile_refresh": (1, 3600)}
    settings.PROFILE_REFRESH_COOLDOWN_MINUTES = 0
    for username in ("natgeotravel", "nasa"):
        Tracking.objects.create(user=user, profile=make_profile(username, last_synced_at=SYNCED))
    assert signed_in_client.post(reverse("profile_refresh", args=["natgeotravel"])).status_code == 302
    response = signed_in_client.post(reverse("profile_refresh", args=["nasa"]))
    assert response.status_code == 429
    assert "Too many refreshes asked for in a short time: try again in" in response.text
    assert list(Job.objects.values_list("profile__username", flat=True)) == ["natgeotravel"]
