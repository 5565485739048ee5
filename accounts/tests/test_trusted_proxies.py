"""Behind the proxy the README asks for, each client keeps its own address: for log-in lockouts, every
limit and the logs alike. From any other peer, X-Forwarded-For is the client's own claim and counts for nothing."""

import io
import logging

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from conftest import PASSWORD
from core.env import env_networks

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    settings.AXES_FAILURE_LIMIT = 2
    settings.THROTTLE_RATES = settings.THROTTLE_RATES | {"signup": (1, 3600)}


def through_proxy(client_address: str) -> dict:
    """What the test client sends as if through the proxy, which appends the address it was connected from."""
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"198.51.100.99, {client_address}"}


def test_one_clients_failed_log_ins_never_lock_another_client_out(client, user, behind_proxy):
    for _ in range(3):
        client.post(reverse("login"), {"username": "ada", "password": "wrong"}, **through_proxy("203.0.113.5"))
    locked = client.post(reverse("login"), {"username": "ada", "password": PASSWORD}, **through_proxy("203.0.113.5"))
    assert locked.status_code == 429
    owner = client.post(reverse("login"), {"username": "ada", "password": PASSWORD}, **through_proxy("203.0.113.6"))
    assert owner.status_code == 302


def test_sign_ups_are_counted_per_client_behind_the_proxy(client, behind_proxy):
    data = {"username": "ben", "email": "ben@example.org", "password1": PASSWORD, "password2": PASSWORD}
    assert client.post(reverse("signup"), data, **through_proxy("203.0.113.5")).status_code == 302
    client.logout()
    other = data | {"username": "cid", "email": "cid@example.org"}
    assert client.post(reverse("signup"), other, **through_proxy("203.0.113.6")).status_code == 302
    client.logout()
    again = data | {"username": "dan", "email": "dan@example.org"}
    assert client.post(reverse("signup"), again, **through_proxy("203.0.113.5")).status_code == 429


def test_a_forged_header_from_an_untrusted_peer_gets_nothing(client, user, behind_proxy):
    for n in range(3):  # a new address claimed at each try: still one client, still locked out
        forged = {"REMOTE_ADDR": "192.0.2.10", "HTTP_X_FORWARDED_FOR": f"203.0.113.{n}"}
        client.post(reverse("login"), {"username": "ada", "password": "wrong"}, **forged)
    claimed = {"REMOTE_ADDR": "192.0.2.10", "HTTP_X_FORWARDED_FOR": "203.0.113.77"}
    assert client.post(reverse("login"), {"username": "ada", "password": PASSWORD}, **claimed).status_code == 429


def test_an_address_prepended_by_the_client_is_not_believed(client, user, behind_proxy):
    # The proxy appends the real address; whatever the client wrote before it is ignored.
    for n in range(3):
        forged = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"203.0.113.{n}, 192.0.2.10"}
        client.post(reverse("login"), {"username": "ada", "password": "wrong"}, **forged)
    again = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.50, 192.0.2.10"}
    assert client.post(reverse("login"), {"username": "ada", "password": PASSWORD}, **again).status_code == 429


def test_without_trusted_proxies_the_header_is_ignored(client, user, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for n in range(3):
        forged = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": f"203.0.113.{n}"}
        client.post(reverse("login"), {"username": "ada", "password": "wrong"}, **forged)
    other = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.200"}
    assert client.post(reverse("login"), {"username": "ada", "password": PASSWORD}, **other).status_code == 429


def test_refused_requests_are_logged_with_the_client_behind_the_proxy(client, behind_proxy):
    handler = logging.getLogger("django.request").handlers[0]
    output = io.StringIO()
    previous = handler.setStream(output)
    try:
        client.get("/no-such-page/", **through_proxy("203.0.113.5"))
    finally:
        handler.setStream(previous)
    assert "Not Found: /no-such-page/ (client 203.0.113.5)" in output.getvalue()


def test_a_trusted_proxy_that_is_no_address_stops_the_settings_with_a_sentence(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/24, proxy.example.org")
    with pytest.raises(ImproperlyConfigured, match=r"TRUSTED_PROXIES: 'proxy\.example\.org' is neither an address"):
        env_networks("TRUSTED_PROXIES")
