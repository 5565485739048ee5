import pytest

from jobs.models import Job
from jobs.services.sync import profiles_sync_tracked
from profiles.models import InstagramProfile, Tracking
from profiles.tests.factories import SYNCED, make_profile

pytestmark = pytest.mark.django_db


def test_it_queues_a_sync_of_every_tracked_profile(user, django_user_model):
    for username in ("natgeotravel", "nasa"):
        Tracking.objects.create(user=user, profile=make_profile(username, last_synced_at=SYNCED))
    other = django_user_model.objects.create_user("bob", "bob@example.org", "a-long-passphrase-42")
    Tracking.objects.create(user=other, profile=InstagramProfile.objects.get(username="nasa"))
    profiles_sync_tracked()
    assert sorted(Job.objects.values_list("profile__username", "kind")) == [("nasa", "sync"), ("natgeotravel", "sync")]


def test_a_profile_nobody_tracks_any_more_is_not_refreshed(user):
    make_profile("forgotten", last_synced_at=SYNCED)
    assert profiles_sync_tracked() == []
    assert not Job.objects.exists()


def test_a_profile_already_syncing_gets_no_second_job(user):
    profile = make_profile("natgeotravel")
    Tracking.objects.create(user=user, profile=profile)
    Job.objects.create(kind=Job.Kind.SYNC, profile=profile, status=Job.Status.WAITING)
    assert profiles_sync_tracked() == []


def test_beat_runs_the_refresh_as_often_as_the_setting_says(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["refresh-tracked-profiles"]
    assert entry["task"] == "profiles.tasks.refresh_tracked_profiles"
    assert entry["schedule"] == settings.PROFILE_REFRESH_HOURS * 3600 == 24 * 3600
