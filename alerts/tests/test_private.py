"""Private stays private: notifications, the unread count and the digest show only photos of profiles the
user may see (InstagramProfile.objects.tracked_by), so a profile that turns private, or whose access staff
take back, disappears from them."""

import pytest
from django.core import mail
from django.urls import reverse

from alerts.digest import digest_send
from profiles.models import PrivateProfileAccess

pytestmark = pytest.mark.django_db


@pytest.fixture
def turned_private(sailor):
    sailor.is_private = True
    sailor.save(update_fields=["is_private"])
    return sailor


def test_notifications_of_a_profile_that_turned_private_are_no_longer_shown(signed_in_client, notified, turned_private):
    assert 'class="count"' not in signed_in_client.get(reverse("saved_searches")).text  # not counted
    page = signed_in_client.get(reverse("notifications")).text
    assert "No alert yet." in page and "Boat1" not in page  # nor shown


def test_the_digest_says_nothing_of_a_profile_that_turned_private(user, notified, turned_private):
    notified.email_digest = True
    notified.save()
    assert digest_send(user_id=user.pk) == 0
    assert mail.outbox == []


def test_notifications_follow_the_access_staff_grant_and_take_back(signed_in_client, user, notified, turned_private):
    access = PrivateProfileAccess.objects.create(user=user, profile=turned_private)
    assert '<span class="count" aria-label="2 unread">2</span>' in signed_in_client.get(reverse("saved_searches")).text
    access.delete()
    assert 'class="count"' not in signed_in_client.get(reverse("saved_searches")).text
    assert "No alert yet." in signed_in_client.get(reverse("notifications")).text
