"""The search page says which models are missing, and the one command that fetches them."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

FIX = "<code>python manage.py download_models</code>"


@pytest.fixture
def text_model_missing(settings, offline_hub):
    settings.TEXT_MODEL = "intfloat/multilingual-e5-small"


def test_before_any_query_the_page_names_the_missing_model_and_the_fix(signed_in_client, text_model_missing):
    page = signed_in_client.get(reverse("search")).content.decode()
    assert "Some models are not on this machine yet" in page
    assert "the text embedder, <code>intfloat/multilingual-e5-small</code>" in page
    assert page.count(FIX) == 1


def test_a_search_without_its_model_says_it_used_words_only_and_the_fix(signed_in_client, text_model_missing):
    page = signed_in_client.get(reverse("search"), {"q": "spaghetti"}).content.decode()
    assert "This search used words only." in page
    assert "https://www.instagram.com/p/Pasta/" in page
    assert page.count(FIX) == 1


def test_with_every_model_here_the_page_says_nothing_about_models(signed_in_client):
    page = signed_in_client.get(reverse("search")).content.decode()
    assert "download_models" not in page
