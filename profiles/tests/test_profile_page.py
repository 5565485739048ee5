"""A profile's page, "Refresh now" and "Stop tracking", through the test client."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from jobs.models import Job
from profiles.models import Post, Tracking
from profiles.tests.factories import SYNCED, make_photo, make_post, make_profile

pytestmark = pytest.mark.django_db


@pytest.fixture
def profile(user):
    profile = make_profile("natgeotravel", last_synced_at=SYNCED)
    Tracking.objects.create(user=user, profile=profile)
    return profile


def test_it_shows_the_photos_newest_first(signed_in_client, profile):
    old = make_photo(make_post(profile, "Cold", taken_at=datetime(2023, 1, 1, tzinfo=UTC)))
    new = make_photo(make_post(profile, "Cnew", taken_at=datetime(2024, 1, 1, tzinfo=UTC)))
    response = signed_in_client.get(reverse("profile_detail", args=["natgeotravel"]))
    assert [photo.pk for photo in response.context["photos"]] == [new.pk, old.pk]
    assert response.text.index(f"/photos/{new.pk}/") < response.text.index(f"/photos/{old.pk}/")


def test_it_shows_the_sync_history_with_reasons_and_no_traceback(signed_in_client, profile):
    job = Job.objects.create(kind=Job.Kind.SYNC, profile=profile)
    job.claim()
    job.fail("This profile is private.", error="Traceback: secret internals")
    Job.objects.create(kind=Job.Kind.SYNC, profile=profile)
    response = signed_in_client.get(reverse("profile_detail", args=["natgeotravel"]))
    assert "This profile is private." in response.text
    assert "secret internals" not in response.text
    assert len(response.context["jobs"]) == 2


def test_staff_see_the_traceback_of_a_failure(signed_in_client, profile, user):
    user.is_staff = True
    user.save()
    job = Job.objects.create(kind=Job.Kind.SYNC, profile=profile)
    job.claim()
    job.fail("The sync stopped on an unexpected error.", error="Traceback: KeyError 'edges'")
    assert (
        "Traceback: KeyError &#x27;edges&#x27;"
        in signed_in_client.get(reverse("profile_detail", args=["natgeotravel"])).text
    )


def passes(photo, *, searchable=False, described=False, queued=False, **fields):
    """Mark a photo as the passes leave it: searchable (vectors of the configured models), described."""
    from django.conf import settings

    if searchable:
        fields |= {"image_embedding_model": settings.IMAGE_TEXT_MODEL, "text_embedding_model": settings.TEXT_MODEL}
    if described:
        fields |= {"description_model": settings.DESCRIPTION_MODEL, "ocr_model": settings.OCR_ENGINE}
    type(photo).objects.filter(pk=photo.pk).update(describe_queued_at=timezone.now() if queued else None, **fields)


@pytest.fixture
def three_photos(profile):
    """One photo described, one searchable with its description queued, one new; and one that cannot be read."""
    post = make_post(profile, "Cpasses", kind=Post.Kind.CAROUSEL)
    photos = [make_photo(post, position=n, image_hashes=[1]) for n in range(1, 5)]
    passes(photos[0], searchable=True, described=True)
    passes(photos[1], searchable=True, queued=True)
    passes(photos[3], index_error="not an image")
    return photos


def test_the_page_shows_how_many_photos_are_searchable_and_how_many_described(signed_in_client, three_photos):
    response = signed_in_client.get(reverse("profile_detail", args=["natgeotravel"]))
    assert "Searchable 2/3 · Described 1/3" in response.text
    assert "Describing 1/3 photos" in response.text
    assert 'hx-trigger="every 3s"' in response.text  # the page polls while the descriptions come


def test_the_api_carries_both_counts_beside_the_state(signed_in_client, three_photos):
    [profile] = signed_in_client.get("/api/profiles").json()
    assert (profile["photos"], profile["searchable_photos"], profile["described_photos"]) == (3, 2, 1)
    assert (profile["status"], profile["status_label"]) == ("describing", "Describing 1/3 photos")


def test_with_the_describer_and_the_reader_off_only_searchable_photos_are_counted(
    signed_in_client, three_photos, settings
):
    settings.DESCRIPTION_MODEL = settings.OCR_ENGINE = ""
    response = signed_in_client.get(reverse("profile_detail", args=["natgeotravel"]))
    assert "Searchable 2/3<" in response.text and "Described" not in response.text
    assert 'hx-trigger="every 3s"' not in response.text
    [profile] = signed_in_client.get("/api/profiles").json()
    assert (profile["searchable_photos"], profile["described_photos"], profile["status"]) == (2, None, "ready")


def test_the_counts_come_in_a_fixed_number_of_queries(signed_in_client, three_photos, django_assert_max_num_queries):
    for n in range(5):
        other = make_profile(f"other{n}")
        Tracking.objects.create(user=three_photos[0].post.profile.trackings.get().user, profile=other)
        make_photo(make_post(other, f"Cother{n}"))
    with django_assert_max_num_queries(12):
        assert signed_in_client.get(reverse("home")).status_code == 200


def test_a_profile_the_user_does_not_track_is_not_found(signed_in_client, user):
    make_profile("nasa")
    assert signed_in_client.get(reverse("profile_detail", args=["nasa"])).status_code == 404
    assert signed_in_client.post(reverse("profile_refresh", args=["nasa"])).status_code == 404
    assert not Job.objects.exists()


def test_refresh_now_queues_a_sync_then_is_throttled_with_a_message(signed_in_client, profile):
    signed_in_client.post(reverse("profile_refresh", args=["natgeotravel"]))
    Job.objects.update(status=Job.Status.DONE)
    response = signed_in_client.post(reverse("profile_refresh", args=["natgeotravel"]), follow=True)
    assert Job.objects.filter(kind=Job.Kind.SYNC).count() == 1
    assert "it can be refreshed again from" in response.text


def test_stop_tracking_removes_the_tracking_only(signed_in_client, profile, user, django_user_model):
    other = django_user_model.objects.create_user("bob", "bob@example.org", "a-long-passphrase-42")
    Tracking.objects.create(user=other, profile=profile)
    make_post(profile)
    response = signed_in_client.post(reverse("profile_untrack", args=["natgeotravel"]), follow=True)
    assert "You no longer track @natgeotravel" in response.text
    assert list(Tracking.objects.values_list("user__username", flat=True)) == ["bob"]
    assert Post.objects.filter(profile=profile).count() == 1


def test_the_profile_page_polls_only_while_a_job_runs(signed_in_client, profile):
    job = Job.objects.create(kind=Job.Kind.INDEX, profile=profile, progress_total=4)
    url = reverse("profile_detail", args=["natgeotravel"])
    fragment = signed_in_client.get(url, headers={"HX-Request": "true"})
    assert 'hx-trigger="every 3s"' in fragment.text and "Indexing 0/4 photos" in fragment.text
    job.cancel()
    assert 'hx-trigger="every 3s"' not in signed_in_client.get(url, headers={"HX-Request": "true"}).text


def test_the_page_and_its_polled_fragment_tell_caches_they_differ(signed_in_client, profile):
    url = reverse("profile_detail", args=["natgeotravel"])
    page, fragment = signed_in_client.get(url), signed_in_client.get(url, headers={"HX-Request": "true"})
    assert "<h1>" in page.text and "<h1>" not in fragment.text
    assert "HX-Request" in page["Vary"] and "HX-Request" in fragment["Vary"]


def waiting_for_models(profile) -> Job:
    job = Job.objects.create(kind=Job.Kind.INDEX, profile=profile, progress_total=4)
    job.claim()
    job.fail("The image-text model 'x' is not available on this machine. Fetch it with download_models.",
             waits_for_models=True)  # fmt: skip
    return job


def test_an_index_job_waiting_for_the_models_is_never_shown_failed(signed_in_client, profile):
    job = waiting_for_models(profile)
    page = signed_in_client.get(reverse("profile_detail", args=["natgeotravel"])).text
    row = page[page.index(f'id="job-{job.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Waiting for the models" in row and "Failed" not in row
    assert "Its photos are indexed once the models are installed." in row and "download_models" not in row
    assert "Photos wait for the models to be installed" in page


def test_staff_read_which_model_an_index_job_waits_for(signed_in_client, profile, user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    waiting_for_models(profile)
    page = signed_in_client.get(reverse("profile_detail", args=["natgeotravel"])).text
    assert "is not available on this machine" in page


def test_a_running_job_shows_a_progress_bar_with_its_counts(signed_in_client, profile):
    job = Job.objects.create(kind=Job.Kind.SYNC, profile=profile, progress_total=40)
    job.claim()
    Job.objects.filter(pk=job.pk).update(progress_done=12)
    page = signed_in_client.get(reverse("profile_detail", args=["natgeotravel"])).text
    assert '<progress value="12" max="40"' in page and "Scraping 12/40 posts" in page


def test_stopping_tracking_is_asked_first(signed_in_client, profile):
    page = signed_in_client.get(reverse("profile_detail", args=["natgeotravel"])).text
    untrack = reverse("profile_untrack", args=["natgeotravel"])
    confirm = page[page.index('<details class="confirm">') :]
    assert f'action="{untrack}"' in confirm[: confirm.index("</details>")]
    assert "Stop tracking @natgeotravel? Its photos leave your searches" in confirm
