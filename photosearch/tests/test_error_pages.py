"""The 404 and 500 pages are the site's own, in its look and language."""

import pytest
from django.template.loader import render_to_string
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_a_missing_page_is_a_404_in_the_sites_look(signed_in_client):
    response = signed_in_client.get("/no-such-page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This page is not here" in page and 'class="site-header"' in page and "/static/css/app.css" in page


def test_a_missing_page_speaks_french_to_a_french_browser(client):
    response = client.get("/accounts/no-such-page/", headers={"accept-language": "fr"})
    assert response.status_code == 404 and "Cette page n\u2019existe pas" in response.content.decode()


def test_the_500_page_renders_without_a_request():
    """Django's server_error renders it with no context at all: nothing in it may need one."""
    with translation.override("en"):
        page = render_to_string("500.html")
    assert "Something went wrong on our side" in page and "/static/css/app.css" in page
