"""The search page says which models are missing, and the one command that fetches them, to staff; to others,
one quiet line."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

FIX = "<code>python manage.py download_models</code>"
QUIET = "Searching by words until the models are installed."


@pytest.fixture
def text_model_missing(settings, offline_hub):
    settings.TEXT_MODEL = "intfloat/multilingual-e5-small"


@pytest.fixture
def staff_client(signed_in_client, user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return signed_in_client


def test_before_any_query_staff_see_the_missing_model_and_the_fix(staff_client, text_model_missing):
    page = staff_client.get(reverse("search")).content.decode()
    assert "Some models are not on this machine yet" in page
    assert "the text embedder, <code>intfloat/multilingual-e5-small</code>" in page
    assert page.count(FIX) == 1


def test_a_search_without_its_model_tells_staff_it_used_words_only_and_the_fix(staff_client, text_model_missing):
    page = staff_client.get(reverse("search"), {"q": "spaghetti"}).content.decode()
    assert "This search used words only." in page
    assert "https://www.instagram.com/p/Pasta/" in page
    assert page.count(FIX) == 1


def test_a_user_who_cannot_fetch_models_gets_one_quiet_line_and_no_command(signed_in_client, text_model_missing):
    page = signed_in_client.get(reverse("search"), {"q": "spaghetti"}).content.decode()
    assert QUIET in page
    assert "download_models" not in page and "multilingual-e5-small" not in page
    assert "https://www.instagram.com/p/Pasta/" in page


def test_with_every_model_here_the_page_says_nothing_about_models(signed_in_client):
    page = signed_in_client.get(reverse("search")).content.decode()
    assert "download_models" not in page and QUIET not in page
