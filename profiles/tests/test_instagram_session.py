import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from profiles import instagram
from profiles.models import InstagramSession
from profiles.tests.fake_instagram import COOKIES

pytestmark = pytest.mark.django_db
SECRET = COOKIES["sessionid"]


def store(*args) -> str:
    out = StringIO()
    call_command("instagram_session", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def answers(monkeypatch):
    """What the person at the terminal types at each getpass prompt, in order."""
    typed = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": typed.pop(0))
    return typed


def test_it_stores_a_session_from_cookies_exported_from_a_browser(tmp_path):
    exported = tmp_path / "cookies.json"
    exported.write_text(json.dumps([{"name": k, "value": v, "domain": ".instagram.com"} for k, v in COOKIES.items()]))
    out = store("photosearch_bot", "--cookies", str(exported))
    assert InstagramSession.objects.get(username="photosearch_bot").cookies == COOKIES
    assert out == "Stored a session for @photosearch_bot; syncs use it from now on.\n"


def test_it_refuses_cookies_without_a_session():
    with pytest.raises(CommandError, match="These cookies lack sessionid"):
        call_command("instagram_session", "photosearch_bot", "--cookies", "/dev/null")


def test_it_signs_in_with_a_password_and_a_two_factor_code(fake_instagram, answers):
    fake_instagram.accounts["photosearch_bot"] = ("hunter2-long", "123456")
    answers += ["hunter2-long", "123456"]
    store("photosearch_bot", "--login")
    assert InstagramSession.objects.get().cookies["sessionid"] == SECRET
    assert fake_instagram.count("two_factor") == 1


def test_a_wrong_password_is_refused_without_repeating_it(fake_instagram, answers):
    fake_instagram.accounts["photosearch_bot"] = ("hunter2-long", "")
    answers.append("not-the-password")
    with pytest.raises(CommandError) as refused:
        store("photosearch_bot", "--login")
    assert str(refused.value) == "Instagram refused this password or two-factor code."
    assert not InstagramSession.objects.exists()


def test_syncs_use_the_newest_active_session(fake_instagram):
    InstagramSession.objects.create(username="photosearch_bot", cookies=COOKIES)
    assert instagram.loader().context.username == "photosearch_bot"
    InstagramSession.objects.update(is_active=False)
    assert not instagram.loader().context.is_logged_in


def test_the_admin_stores_pasted_cookies_and_never_shows_them(admin_client):
    header = "; ".join(f"{k}={v}" for k, v in COOKIES.items())
    response = admin_client.post(
        reverse("admin:profiles_instagramsession_add"),
        {"username": "Photosearch_Bot", "is_active": "on", "cookies_text": header},
    )
    assert response.status_code == 302
    session = InstagramSession.objects.get(username="photosearch_bot")
    assert session.cookies == COOKIES
    for url in (reverse("admin:profiles_instagramsession_changelist"), session_change_url(session)):
        assert SECRET not in admin_client.get(url).text


def test_the_admin_gives_a_clear_message_for_cookies_that_are_not_a_session(admin_client):
    response = admin_client.post(
        reverse("admin:profiles_instagramsession_add"),
        {"username": "photosearch_bot", "is_active": "on", "cookies_text": "mid=abc; ig_did=def"},
    )
    assert response.status_code == 200
    assert "These cookies lack sessionid, csrftoken, ds_user_id" in response.text
    assert not InstagramSession.objects.exists()


def session_change_url(session) -> str:
    return reverse("admin:profiles_instagramsession_change", args=[session.pk])
