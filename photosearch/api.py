"""The JSON API (OpenAPI schema at /api/openapi.json, docs at /api/docs): the same services as the pages.

Authentication: the browser session, or `Authorization: Bearer <token>` with a token made on the
account's "API tokens" page. This is the API's root: its authentication, how it refuses (a sentence,
always), and the routers each app keeps beside its services (jobs/api.py, search/api.py, alerts/api.py).
"""

from ninja import NinjaAPI
from ninja.errors import ValidationError
from ninja.security import HttpBearer, django_auth

from accounts.models import ApiToken
from alerts.api import router as alerts_router
from core.throttle import Throttled
from jobs.api import router as jobs_router
from search.api import router as search_router
from search.types import QUERY_EMPTY, QUERY_TOO_LONG


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        return ApiToken.user_for(token)


api = NinjaAPI(title="photosearch", version="1", auth=[TokenAuth(), django_auth], urls_namespace="api")
api.add_router("", search_router)
api.add_router("", jobs_router)
# Saved searches and notifications share the API's authentication, schema and docs.
api.add_router("", alerts_router)

# The query's own checks, said as search says them (the schema declares them; the service checks them too).
SEARCH_SENTENCES = {"string_too_long": QUERY_TOO_LONG, "string_pattern_mismatch": QUERY_EMPTY}


@api.exception_handler(ValidationError)
def refuse_with_a_sentence(request, exc):
    """A query search refuses (too long, blank) is a 400 with its sentence; other malformed input a 422."""
    for error in exc.errors:
        if error.get("loc", ())[-1:] == ("q",) and error.get("type") in SEARCH_SENTENCES:
            return api.create_response(request, {"detail": SEARCH_SENTENCES[error["type"]]}, status=400)
    errors = [{key: error[key] for key in ("type", "loc", "msg") if key in error} for error in exc.errors]
    names = ", ".join(str(error["loc"][-1]) for error in errors if error.get("loc")) or "the request"
    detail = f"Malformed parameter ({names}): {errors[0]['msg'] if errors else 'cannot be read'}."
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)


@api.exception_handler(Throttled)
def too_many(request, exc):
    """A 429 with Retry-After and the sentence."""
    response = api.create_response(request, {"detail": str(exc)}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def urls():
    """The API's URL patterns, each open to token holders (LoginRequiredMiddleware would send them to a login page)."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace
