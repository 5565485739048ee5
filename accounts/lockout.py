"""What a log-in locked out by django-axes gets: a 429, a sentence and Retry-After (ours and the admin's)."""

from axes.helpers import get_cool_off
from django.shortcuts import render


def login_locked_out(request, original_response=None, credentials=None):
    minutes = max(1, round(get_cool_off(request).total_seconds() / 60))
    message = f"Too many failed log-ins for this account from your address: try again in {minutes} minutes."
    response = render(request, "too_many_requests.html", {"message": message}, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response
