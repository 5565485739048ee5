"""The daily e-mail digest, into Django's locmem outbox."""

import pytest
from django.core import mail

from accounts.models import Preferences
from alerts.digest import digest_send, users_with_digest
from alerts.models import Notification
from alerts.tasks import send_digest

pytestmark = pytest.mark.django_db


@pytest.fixture
def digest_on(notified):
    notified.email_digest = True
    notified.save()
    return notified


def test_it_emails_a_user_their_new_notifications_with_a_link_to_each_post(user, digest_on, settings):
    settings.SITE_URL = "https://photos.example.org"
    assert send_digest.apply(args=[user.pk]).get() == {"notifications": 2}
    [message] = mail.outbox
    assert message.to == ["ada@example.org"]
    assert message.subject == "photosearch: 2 new photos for your saved searches"
    for notification in digest_on.notifications.all():
        assert f"https://photos.example.org/photos/{notification.photo_id}/" in message.body
    assert "Boats (“boat”):" in message.body


def test_a_notification_is_emailed_once(user, digest_on):
    digest_send(user_id=user.pk)
    assert digest_send(user_id=user.pk) == 0
    assert len(mail.outbox) == 1
    assert users_with_digest() == []


def test_saved_searches_without_the_digest_send_nothing(user, notified):
    assert users_with_digest() == []
    assert digest_send(user_id=user.pk) == 0
    assert mail.outbox == []


def test_notifications_already_read_are_not_emailed(user, digest_on):
    Notification.objects.update(read_at="2026-01-01T00:00Z")
    assert digest_send(user_id=user.pk) == 0
    assert mail.outbox == []


def test_a_user_without_an_address_gets_no_email(user, digest_on):
    user.email = ""
    user.save()
    assert users_with_digest() == []
    assert digest_send(user_id=user.pk) == 0


def test_only_users_with_something_new_to_tell_get_a_digest(user, digest_on, bob):
    assert users_with_digest() == [user.pk]


def test_it_is_written_in_the_language_its_reader_chose_on_the_site(user, digest_on):
    Preferences.objects.create(user=user, language="fr")
    assert digest_send(user_id=user.pk) == 2
    [message] = mail.outbox
    assert message.subject == "photosearch\u00a0: 2 nouvelles photos pour vos recherches enregistrées"
    assert message.body.startswith("Bonjour ada,")
