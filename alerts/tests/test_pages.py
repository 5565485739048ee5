"""The saved searches and alerts pages, through the test client."""

import pytest
from django.urls import reverse

from alerts.models import Notification, SavedSearch
from profiles.models import Tracking
from profiles.tests.factories import make_profile

pytestmark = pytest.mark.django_db


def save(client, **data):
    return client.post(reverse("saved_search_save"), data, follow=True)


def test_the_search_page_offers_to_save_the_search_with_its_filters(signed_in_client, sailor):
    page = signed_in_client.get(reverse("search"), {"q": "boat", "profile": "sailor", "page": "1"}).content.decode()
    assert f'action="{reverse("saved_search_save")}"' in page
    assert '<input type="hidden" name="q" value="boat">' in page
    assert '<input type="hidden" name="profile" value="sailor">' in page
    assert 'name="page" value="1"' not in page.split("save-search")[1]


def test_it_saves_a_search_with_its_filters_and_lists_it(signed_in_client, user, sailor):
    response = save(signed_in_client, q="red boat", profile="sailor", kind="carousel", after="2024-01-01", name="Boats")
    saved = SavedSearch.objects.get(user=user)
    assert (saved.name, saved.query, saved.kinds, str(saved.taken_after)) == (
        "Boats",
        "red boat",
        ["carousel"],
        "2024-01-01",
    )
    assert list(saved.profiles.values_list("username", flat=True)) == ["sailor"]
    assert response.redirect_chain[-1][0] == reverse("saved_searches")
    assert "Saved “Boats”" in response.content.decode()
    assert "?q=red+boat&amp;profile=sailor&amp;after=2024-01-01&amp;kind=carousel" in response.content.decode()


def test_a_search_saved_without_a_name_is_named_after_its_query(signed_in_client, user):
    save(signed_in_client, q="  red   boat ")
    assert SavedSearch.objects.get(user=user).name == "red boat"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"q": "   "}, "Type what you remember of the photo."),
        ({"q": "boat", "profile": "stranger"}, "Select a valid choice. stranger is not one of the available choices."),
        (
            {"q": "boat", "after": "2024-05-01", "before": "2024-01-01"},
            "The end of the date range is before its start.",
        ),
        ({"q": "boat", "name": "x" * 101}, "Ensure this value has at most 100 characters"),
    ],
)
def test_a_search_that_cannot_be_saved_says_why_on_the_search_page(signed_in_client, data, message):
    make_profile("stranger")
    response = save(signed_in_client, **data)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith(reverse("search"))
    assert f"The search was not saved: {message}" in response.content.decode()
    assert not SavedSearch.objects.exists()


def test_it_renames_a_saved_search_and_turns_its_email_on(signed_in_client, notified):
    signed_in_client.post(reverse("saved_search_edit", args=[notified.pk]), {"name": "Sailing", "email_digest": "on"})
    notified.refresh_from_db()
    assert (notified.name, notified.email_digest) == ("Sailing", True)


def test_a_blank_name_is_refused_with_a_sentence(signed_in_client, notified):
    response = signed_in_client.post(reverse("saved_search_edit", args=[notified.pk]), {"name": "  "}, follow=True)
    assert "“Boats” was not changed: This field is required." in response.content.decode()
    notified.refresh_from_db()
    assert notified.name == "Boats"


def test_it_deletes_a_saved_search_and_its_notifications(signed_in_client, notified):
    response = signed_in_client.post(reverse("saved_search_remove", args=[notified.pk]), follow=True)
    assert "Deleted “Boats”." in response.content.decode()
    assert not SavedSearch.objects.exists() and not Notification.objects.exists()


@pytest.mark.parametrize("action", ["saved_search_edit", "saved_search_remove"])
def test_someone_elses_saved_search_is_a_404_like_a_missing_one(client, notified, bob, action):
    client.force_login(bob)
    assert client.post(reverse(action, args=[notified.pk]), {"name": "Mine"}).status_code == 404
    assert client.post(reverse(action, args=[notified.pk + 1000]), {"name": "Mine"}).status_code == 404
    assert SavedSearch.objects.get().name == "Boats"


def test_the_header_counts_unread_notifications(signed_in_client, notified):
    page = signed_in_client.get(reverse("saved_searches")).content.decode()
    assert '<span class="count" aria-label="2 unread">2</span>' in page


def test_the_alerts_page_groups_notifications_per_saved_search_links_each_post_and_marks_them_read(
    signed_in_client, notified
):
    page = signed_in_client.get(reverse("notifications")).content.decode()
    assert "Boats" in page and "2 new" in page
    for notification in notified.notifications.all():
        assert reverse("photo_detail", args=[notification.photo_id]) in page
    assert not Notification.objects.unread().exists()
    assert 'class="count"' not in signed_in_client.get(reverse("notifications")).content.decode()


def test_nobody_sees_anyone_elses_notifications(client, notified, bob):
    client.force_login(bob)
    page = client.get(reverse("notifications")).content.decode()
    assert "No alert yet." in page and 'class="count"' not in page
    assert Notification.objects.unread().count() == 2


def test_notifications_of_a_profile_no_longer_tracked_are_not_shown(signed_in_client, user, notified):
    Tracking.objects.filter(user=user).delete()
    assert "No alert yet." in signed_in_client.get(reverse("notifications")).content.decode()


def test_signed_out_visitors_are_sent_to_log_in(client):
    assert client.get(reverse("notifications")).url.startswith(reverse("login"))
