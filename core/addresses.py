"""Which address a request came from: the one function every limiter, django-axes and the logs ask.

Behind a proxy every request comes from the proxy's address. The proxy says whose request it passes
on in X-Forwarded-For, appending the address it was connected from to whatever the client sent, so
only the right of that header can be believed: the right-most address that is not one of our own
TRUSTED_PROXIES is the client's. From a peer that is no trusted proxy the header is ignored, or any
client could claim any address (and lock others out, or escape its own limits).
"""

import ipaddress
import logging
from functools import cache

from django.conf import settings


@cache
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(address) -> bool:
    return any(address in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request) -> str | None:
    """The client's address: the peer's, or behind trusted proxies the right-most forwarded one not theirs."""
    peer = _address(request.META.get("REMOTE_ADDR") or "")
    if peer is None:
        return None
    if not _trusted(peer):
        return str(peer)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for text in reversed(forwarded):
        address = _address(text)
        if address is None:
            # Not written by a proxy of ours (each writes the address it was connected from): what is
            # left of it is the client's own say, which proves nothing. The last proxy is all we know.
            return str(peer)
        if not _trusted(address):
            return str(address)
    return str(peer)  # the request came from our proxies themselves (a health probe, say)


class ClientAddressFilter(logging.Filter):
    """Gives each log record about a request (Django's `django.request` and `django.security`) a `client`."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        record.client = (client_ip(request) if request is not None else None) or "-"
        return True
