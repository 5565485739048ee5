"""What a log-in locked out by django-axes gets: a 429, a sentence and Retry-After (ours and the admin's)."""

from axes.helpers import get_cool_off
from django.shortcuts import render
from django.utils.translation import ngettext


def login_locked_out(request, original_response=None, credentials=None):
    minutes = max(1, round(get_cool_off(request).total_seconds() / 60))
    message = ngettext(
        "Too many failed log-ins for this account from your address: try again in %(count)d minute.",
        "Too many failed log-ins for this account from your address: try again in %(count)d minutes.",
        minutes,
    ) % {"count": minutes}
    response = render(request, "too_many_requests.html", {"message": message}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
