import pytest
from django.urls import reverse

from jobs.models import Job
from profiles.models import InstagramProfile, Tracking
from profiles.tests.factories import SYNCED, make_profile

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "text", ["natgeotravel", "@NatGeoTravel", "https://www.instagram.com/natgeotravel/", "instagram.com/natgeotravel"]
)
def test_it_tracks_a_profile_given_by_username_or_link(signed_in_client, user, text):
    response = signed_in_client.post(reverse("profile_add"), {"profile": text})
    assert response.status_code == 302
    assert Tracking.objects.get(user=user).profile.username == "natgeotravel"


def test_it_queues_a_first_sync_for_a_new_profile(signed_in_client, user):
    signed_in_client.post(reverse("profile_add"), {"profile": "natgeotravel"})
    job = Job.objects.get()
    assert (job.kind, job.status, job.profile.username, job.requested_by) == ("sync", "queued", "natgeotravel", user)


def test_it_shows_the_new_profile_in_the_list_at_once(signed_in_client, user):
    response = signed_in_client.post(reverse("profile_add"), {"profile": "@natgeotravel"}, follow=True)
    assert "@natgeotravel" in response.text
    assert "Queued" in response.text  # its first sync waits for a worker


def test_it_answers_htmx_with_the_panel_alone(signed_in_client, user):
    response = signed_in_client.post(
        reverse("profile_add"), {"profile": "natgeotravel"}, headers={"HX-Request": "true"}
    )
    assert response.templates[0].name == "profiles/_panel.html"
    assert 'id="profile-natgeotravel"' in response.text


@pytest.mark.parametrize(
    "text", ["nat geo", "a" * 31, "natgeo!", "", "https://example.com/natgeotravel/", "instagram.com/p/C7emoji0001/"]
)
def test_a_bad_username_gets_a_form_error_and_no_job(signed_in_client, user, text):
    response = signed_in_client.post(reverse("profile_add"), {"profile": text})
    assert response.status_code == 400
    assert response.context["form"].errors["profile"]
    assert not Job.objects.exists() and not InstagramProfile.objects.exists()


def test_a_second_user_adding_a_stored_profile_queues_no_second_sync(signed_in_client, user):
    make_profile("natgeotravel", last_synced_at=SYNCED)
    signed_in_client.post(reverse("profile_add"), {"profile": "natgeotravel"})
    assert Tracking.objects.filter(user=user).count() == 1
    assert not Job.objects.exists()


def test_the_list_is_polled_only_while_a_job_of_a_profile_runs(signed_in_client, user):
    profile = make_profile("natgeotravel")
    Tracking.objects.create(user=user, profile=profile)
    job = Job.objects.create(kind=Job.Kind.SYNC, profile=profile)
    assert 'hx-trigger="every 3s"' in signed_in_client.get(reverse("profile_list")).text
    job.claim()
    job.finish("3 new posts.")
    assert 'hx-trigger="every 3s"' not in signed_in_client.get(reverse("profile_list")).text


def test_it_limits_profile_adds_per_user_refused_ones_included(signed_in_client, user, settings):
    settings.THROTTLE_RATES = settings.THROTTLE_RATES | {"profile_add": (2, 3600)}
    assert signed_in_client.post(reverse("profile_add"), {"profile": "nat geo"}).status_code == 400
    assert signed_in_client.post(reverse("profile_add"), {"profile": "natgeotravel"}).status_code == 302
    response = signed_in_client.post(reverse("profile_add"), {"profile": "another"})
    assert (response.status_code, 0 < int(response["Retry-After"]) <= 3600) == (429, True)
    assert "Too many profiles added in a short time: try again in" in response.text
    htmx = signed_in_client.post(reverse("profile_add"), {"profile": "another"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 429 and "Too many profiles added" in htmx.text and 'id="profiles-panel"' in htmx.text
    assert not InstagramProfile.objects.filter(username="another").exists()
