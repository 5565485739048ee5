"""The pages' language: the browser's, unless chosen in the footer (a cookie; on the account when signed in)."""

from datetime import UTC, datetime

import pytest
from django.conf import settings

from accounts.models import ApiToken, Preferences
from profiles.models import Post, Tracking
from profiles.tests.factories import make_profile

pytestmark = pytest.mark.django_db

FRENCH_BROWSER = {"accept-language": "fr-FR,fr;q=0.9"}
ENGLISH_BROWSER = {"accept-language": "en-GB,en;q=0.9"}


def choose(client, language: str, next_url: str = "/search/"):
    return client.post("/language/", {"language": language, "next": next_url})


def test_an_english_browser_gets_english_and_every_page_offers_both_languages(client):
    page = client.get("/accounts/login/", headers=ENGLISH_BROWSER).content.decode()
    assert '<html lang="en">' in page
    assert 'value="fr" lang="fr"' in page and ">Français</button>" in page and ">English</button>" in page


def test_choosing_french_sets_the_cookie_and_goes_back_to_the_page(client):
    response = choose(client, "fr", next_url="/accounts/signup/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/signup/")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    page = client.get("/accounts/signup/", headers=ENGLISH_BROWSER).content.decode()
    assert '<html lang="fr">' in page and "Créer mon compte" in page


def test_a_signed_in_persons_choice_is_kept_on_their_account(signed_in_client, user):
    choose(signed_in_client, "fr")
    assert Preferences.objects.get(user=user).language == "fr"
    choose(signed_in_client, "en")
    assert Preferences.objects.get(user=user).language == "en"


def test_the_accounts_choice_follows_them_to_another_browser(client, user):
    Preferences.objects.create(user=user, language="fr")
    client.force_login(user)  # as a log-in does: the account's choice goes into the new session
    page = client.get("/search/", headers=ENGLISH_BROWSER).content.decode()
    assert '<html lang="fr">' in page and "Retrouver une photo" in page


def test_a_language_not_offered_changes_nothing_and_is_no_error(signed_in_client, user):
    response = choose(signed_in_client, "de")
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert not Preferences.objects.filter(user=user).exists()


def test_the_switcher_only_takes_a_post(client):
    assert client.get("/language/?language=fr").status_code == 405


@pytest.mark.parametrize(("language", "shown"), [("en", "4 Dec 2026"), ("fr", "4 déc. 2026")])
def test_dates_are_written_the_way_the_pages_language_writes_them(signed_in_client, user, language, shown):
    token, _ = ApiToken.issue(user=user, name="backup")
    ApiToken.objects.filter(pk=token.pk).update(created_at=datetime(2026, 12, 4, 9, 30, tzinfo=UTC))
    choose(signed_in_client, language)
    assert f'<td data-label="{"Créé le" if language == "fr" else "Created"}">{shown}</td>' in (
        signed_in_client.get("/accounts/tokens/").content.decode()
    )


@pytest.mark.parametrize(("language", "shown"), [("en", "1,234"), ("fr", "1\u00a0234")])
def test_numbers_are_grouped_the_way_the_pages_language_groups_them(signed_in_client, user, language, shown):
    profile = make_profile("big")
    Tracking.objects.create(user=user, profile=profile)
    when = datetime(2024, 1, 1, tzinfo=UTC)
    Post.objects.bulk_create(Post(profile=profile, shortcode=f"P{n}", taken_at=when) for n in range(1234))
    choose(signed_in_client, language)
    assert f">{shown}</td>" in signed_in_client.get("/").content.decode()
