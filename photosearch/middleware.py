"""At the door: requests photosearch cannot store or search are refused with a sentence (never a 500),
and health probes are answered before anything else."""

import re

from django.http import JsonResponse
from django.shortcuts import render

from core import timing
from core.throttle import Throttled
from photosearch.views import healthz

# C0 control characters and DEL, tab and line breaks aside: PostgreSQL refuses NUL outright, and
# none of them belongs in a username, a search or a password typed by a person.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MESSAGE = "Control characters (such as NUL) cannot be used here: remove them and try again."


def _has_control_characters(request) -> bool:
    if _CONTROL.search(request.path):
        return True
    fields = [request.GET]
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        fields.append(request.POST)
    return any(
        _CONTROL.search(key) or any(_CONTROL.search(value) for value in values)
        for query in fields
        for key, values in query.lists()
    )


class RefuseControlCharactersMiddleware:
    """A 400 with a sentence for any request whose path, query or form holds a control character:
    JSON for the API, a page for people."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_control_characters(request):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": MESSAGE}, status=400)
            return render(request, "bad_request.html", {"message": MESSAGE}, status=400)
        return self.get_response(request)


class HealthzMiddleware:
    """Answers /healthz before the host check and the HTTPS redirect, first in MIDDLEWARE.

    Probes (compose's health check, a load balancer) call the process itself, over plain HTTP, by
    an address that is no host name of the site: they get the answer, not a 400 or a 301.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz" and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)


def throttled_response(request, throttled: Throttled):
    """A 429 with Retry-After and the sentence: JSON for the API, the fragment for HTMX, a page otherwise."""
    message = str(throttled)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    elif getattr(request, "htmx", False):
        response = render(request, "includes/throttled.html", {"message": message}, status=429)
    else:
        response = render(request, "too_many_requests.html", {"message": message}, status=429)
    response["Retry-After"] = str(throttled.retry_after)
    return response


class ThrottledMiddleware:
    """Whatever view counted one request too many (core.throttle) answers with a 429 and a sentence."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Throttled):
            return throttled_response(request, exception)
        return None


class ServerTimingMiddleware:
    """A Server-Timing header on the responses that timed their stages (searches): where the time went.

    Browsers' developer tools draw it beside the request; bench/search_latency.py reads it. `app` is
    the whole time inside Django below this middleware, the stages' parent.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with timing.recorded() as stages, timing.stage("app"):
            response = self.get_response(request)
        if len(stages) > 1:  # more than "app": something worth telling was timed
            response["Server-Timing"] = timing.server_timing(stages)
        return response
