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


class MailServerDown:
    """Django's mail boundary, as with an SMTP server that refuses: what the digest does then is ours."""

    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the SMTP server does not answer")


class MarksSeenWhenSending:
    """The mail boundary, noting whether the notifications were marked e-mailed before it."""

    marked_when_sent: list[bool] = []

    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        MarksSeenWhenSending.marked_when_sent.append(not Notification.objects.filter(emailed_at__isnull=True).exists())
        return len(messages)


def test_notifications_are_marked_before_the_mail_goes_so_it_never_goes_twice(user, digest_on, settings):
    settings.EMAIL_BACKEND = f"{__name__}.MarksSeenWhenSending"
    MarksSeenWhenSending.marked_when_sent = []
    assert digest_send(user_id=user.pk) == 2
    assert digest_send(user_id=user.pk) == 0
    assert MarksSeenWhenSending.marked_when_sent == [True]


def test_a_digest_that_could_not_be_sent_is_sent_by_the_next_one(user, digest_on, settings):
    settings.EMAIL_BACKEND = f"{__name__}.MailServerDown"
    with pytest.raises(ConnectionRefusedError):
        digest_send(user_id=user.pk)
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert digest_send(user_id=user.pk) == 2
    assert len(mail.outbox) == 1


def test_a_deactivated_account_gets_no_mail(user, digest_on):
    user.is_active = False
    user.save()
    assert users_with_digest() == []
    assert digest_send(user_id=user.pk) == 0
    assert mail.outbox == []


def test_it_is_written_in_the_language_its_reader_chose_on_the_site(user, digest_on):
    Preferences.objects.create(user=user, language="fr")
    assert digest_send(user_id=user.pk) == 2
    [message] = mail.outbox
    assert message.subject == "photosearch\u00a0: 2 nouvelles photos pour vos recherches enregistrées"
    assert message.body.startswith("Bonjour ada,")
