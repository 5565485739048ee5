"""At the door: requests photosearch cannot store or search are refused with a sentence (never a 500),
and health probes are answered before anything else."""

import re
import shutil
import tempfile
from collections.abc import Callable

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

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


# What a multipart form adds around its file (boundaries, headers, the CSRF token, the other fields).
FORM_ALLOWANCE = 64 * 1024


def _megabytes(size: int) -> str:
    if size >= 1024**3:
        return _("%(size)s GB") % {"size": f"{size / 1024**3:.3g}"}
    if size >= 1024**2:
        return _("%(size)s MB") % {"size": f"{size / 1024**2:.2g}"}
    return _("%(size)s KB") % {"size": f"{size / 1024:.3g}"}


def body_limit(path: str) -> tuple[int, Callable[[], str]]:
    """The most bytes a request to `path` may send, and what makes the sentence that refuses more.

    The sentence is made only for a refusal, in the request's language (this runs before LocaleMiddleware).
    """
    if path in (reverse("search_by_image"), reverse("api:search_by_image")):
        limit = settings.SEARCH_IMAGE_MAX_BYTES
        return (
            limit + FORM_ALLOWANCE,
            lambda: _("This photo is too big: up to %(size)s, please.") % {"size": _megabytes(limit)},
        )
    if path == reverse("admin:profiles_import_zip"):
        limit = settings.IMPORT_UPLOAD_MAX_BYTES
        return (
            limit + FORM_ALLOWANCE,
            lambda: _("This zip is too big to upload: up to %(size)s.") % {"size": _megabytes(limit)},
        )
    limit = settings.REQUEST_MAX_BYTES
    return limit, lambda: _("This request is too big: up to %(size)s.") % {"size": _megabytes(limit)}


def _body_within(request, limit: int) -> bool:
    """A body sent without a length (chunked), read here up to `limit` bytes: False past it.

    Django reads no more than Content-Length, so without one it would see an empty body; read here
    (spooled to disk past FILE_UPLOAD_MAX_MEMORY_SIZE), it is handed on with its length, as any other.
    """
    # Handed on open, as the request's stream: removed once nothing refers to it.
    body = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    shutil.copyfileobj(LimitedStream(request.META["wsgi.input"], limit + 1), body)
    if body.tell() > limit:
        body.close()
        return False
    length = body.tell()
    body.seek(0)
    request.META["CONTENT_LENGTH"] = str(length)
    request._stream = LimitedStream(body, length)
    return True


class RequestSizeMiddleware:
    """A 413 with a sentence for a body over its path's limit (body_limit), before a byte of it is read.

    First in MIDDLEWARE: the CSRF check and the other middleware read the body of a form, and a login
    is checked after them. A body without a length is read here up to the limit, never further.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit, message = body_limit(request.path_info)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # as Django reads it: no body
        if length > limit:
            return too_large_response(request, message)
        chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
        terminated = request.META.get("wsgi.input_terminated")  # the server ends the stream with the body
        if not length and chunked and terminated and not _body_within(request, limit):
            return too_large_response(request, message)
        return self.get_response(request)


def too_large_response(request, sentence: Callable[[], str]):
    """A 413 and the sentence: JSON for the API, the form's error for HTMX, a page otherwise."""
    with translation.override(translation.get_language_from_request(request)):
        return _too_large(request, sentence())


def _too_large(request, message: str):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=413)
    if request.headers.get("HX-Request") == "true":  # before django-htmx's middleware has run
        return render(request, "includes/form_error.html", {"message": message}, status=413)
    return render(request, "bad_request.html", {"message": message}, status=413)
