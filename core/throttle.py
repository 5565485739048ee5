"""Rates on what costs us (or others) dear: sign-ups, password-reset mails, searches, profile adds.

One counter per action and key (a user, an address, an IP) in Django's cache, per window of the
action's rate in settings.THROTTLE_RATES. Past the rate, `Throttled` says so in a sentence and says
when to try again: pages and the API turn it into a 429 with Retry-After (photosearch.middleware,
photosearch.api). Log-ins are counted by django-axes instead (accounts.lockout).
"""

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class Throttled(Exception):
    """Too many of one action in a short time; str() is the sentence, `retry_after` the seconds to wait."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


def throttle(*, action: str, key, message: str) -> None:
    """Count one more `action` by `key`; Throttled ("<message>: try again in ...") past its rate."""
    limit, window = settings.THROTTLE_RATES[action]
    now = time.time()
    start = int(now // window) * window
    name = f"throttle:{action}:{key}:{start}"
    cache.add(name, 0, timeout=window + 1)
    try:
        count = cache.incr(name)
    except ValueError:  # evicted between add and incr: count afresh
        cache.set(name, count := 1, timeout=window + 1)
    if count > limit:
        wait = max(1, math.ceil(start + window - now))
        raise Throttled(_("%(what)s: try again in %(wait)s.") % {"what": message, "wait": _duration(wait)}, wait)


def _duration(seconds: int) -> str:
    if seconds < 120:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
