"""Jobs in the admin: filters, actions (retry, cancel, re-index) and the dashboard; staff only."""

import pytest
from django.urls import reverse

from jobs.models import Job
from profiles.tests.factories import SYNCED, make_photo, make_post, make_profile

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:jobs_job_changelist")


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def profile():
    return make_profile("natgeotravel", last_synced_at=SYNCED)


def failed_sync(profile):
    job = Job.objects.create(kind=Job.Kind.SYNC, profile=profile)
    job.claim()
    job.fail("Instagram did not answer.")
    return job


def act(client, action, jobs):
    return client.post(CHANGELIST, {"action": action, "_selected_action": [job.pk for job in jobs]}, follow=True)


def test_staff_retry_a_failed_job_as_a_new_one(admin_client, profile):
    old = failed_sync(profile)
    response = act(admin_client, "retry", [old])
    new = Job.objects.get(retry_of=old)
    assert f"1 job(s) queued again as #{new.pk}." in response.text
    assert (new.status, Job.objects.get(pk=old.pk).status) == (Job.Status.QUEUED, Job.Status.FAILED)


def test_a_double_click_on_retry_makes_one_job(admin_client, profile):
    old = failed_sync(profile)
    act(admin_client, "retry", [old])
    response = act(admin_client, "retry", [old])
    assert Job.objects.filter(kind=Job.Kind.SYNC).count() == 2
    assert f"Job #{old.pk} was retried already" in response.text


def test_staff_cancel_queued_and_running_jobs(admin_client, profile):
    queued = Job.objects.create(kind=Job.Kind.INDEX, profile=profile)
    running = Job.objects.create(kind=Job.Kind.SYNC, profile=profile)
    running.claim()
    done = Job.objects.create(kind=Job.Kind.SYNC, profile=profile, status=Job.Status.DONE)
    response = act(admin_client, "cancel", [queued, running, done])
    assert "2 job(s) cancelled; a running one stops at its next batch. 1 had ended already." in response.text
    assert sorted(Job.objects.values_list("status", flat=True)) == ["cancelled", "cancelled", "done"]


def test_staff_reindex_a_profile(admin_client, profile, settings):
    make_photo(make_post(profile))
    response = admin_client.post(
        reverse("admin:profiles_instagramprofile_changelist"),
        {"action": "reindex", "_selected_action": [profile.pk]},
        follow=True,
    )
    assert "1 index job(s) queued." in response.text
    assert Job.objects.get().progress_total == 1


def test_non_staff_cannot_act_on_jobs(client, django_user_model, profile):
    client.force_login(django_user_model.objects.create_user("ada", "ada@example.org", "a-long-passphrase-42"))
    old = failed_sync(profile)
    response = client.post(CHANGELIST, {"action": "retry", "_selected_action": [old.pk]})
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    assert client.get(reverse("admin:jobs_job_dashboard")).status_code == 302
    assert Job.objects.count() == 1


def test_jobs_are_filtered_by_kind_status_and_profile(admin_client, profile):
    failed_sync(profile)
    Job.objects.create(kind=Job.Kind.INDEX, profile=make_profile("nasa"))
    response = admin_client.get(CHANGELIST, {"kind": "sync", "status": "failed", "profile__id__exact": profile.pk})
    assert [job.kind for job in response.context["cl"].result_list] == ["sync"]


def test_the_dashboard_counts_jobs_per_queue_and_lists_failures(admin_client, profile):
    failed_sync(profile)
    Job.objects.create(kind=Job.Kind.INDEX, profile=profile)
    Job.objects.create(kind=Job.Kind.IMPORT, profile=profile).claim()
    response = admin_client.get(reverse("admin:jobs_job_dashboard"))
    queues = response.context["queues"]
    assert queues["scrape"] == {"queued": 0, "running": 1, "waiting": 0, "failed": 1}
    assert queues["ml"] == {"queued": 1, "running": 0, "waiting": 0, "failed": 0}
    assert "Instagram did not answer." in response.text and 'hx-trigger="every 5s"' in response.text


def test_a_profile_shows_its_sync_history_in_the_admin(admin_client, profile):
    failed_sync(profile)
    response = admin_client.get(reverse("admin:profiles_instagramprofile_change", args=[profile.pk]))
    assert "Sync history" in response.text and "Instagram did not answer." in response.text
