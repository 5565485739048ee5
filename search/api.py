"""The JSON API (OpenAPI schema at /api/openapi.json, docs at /api/docs): the same services as the pages.

Authentication: the browser session, or `Authorization: Bearer <token>` with a token made on
the account's "API tokens" page.
"""

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Literal

from django.db.models import Q
from django.urls import reverse
from ninja import Field, File, NinjaAPI, Query, Schema, Status, UploadedFile
from ninja.errors import ValidationError
from ninja.responses import NinjaJSONEncoder
from ninja.security import HttpBearer, django_auth
from pydantic import StringConstraints

from accounts.models import ApiToken
from photosearch.throttle import Throttled
from profiles.models import InstagramProfile, Job, Photo
from profiles.selectors import ProfileStatus, profile_states
from search.by_image import ImageSearchError, image_upload_read, photos_by_image
from search.services import (
    MAX_QUERY_LENGTH,
    QUERY_EMPTY,
    QUERY_TOO_LONG,
    SearchError,
    SearchFilters,
    SearchResult,
    photos_search,
    photos_similar,
    search_count,
)


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        return ApiToken.user_for(token)


api = NinjaAPI(title="photosearch", version="1", auth=[TokenAuth(), django_auth], urls_namespace="api")


class Error(Schema):
    detail: str


class Invalid(Schema):
    detail: str = Field(description="What is wrong with the request, in a sentence")
    errors: list[dict] = Field(description="Each malformed parameter, as pydantic reports it")


# Every operation may answer these, declared so that a client knows to expect them: a 400 for a control
# character anywhere in the request (photosearch.middleware), a 422 for a malformed parameter.
REFUSALS = {400: Error, 422: Invalid}
# What a person can type: no control characters (the middleware refuses them before any view runs).
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
PRINTABLE = rf"^[^{_CONTROL}]*$"
# A query: printable, with something besides blanks in it.
QUERY = rf"^[^{_CONTROL}]*[^\s{_CONTROL}][^{_CONTROL}]*$"
Printable = Annotated[str, StringConstraints(pattern=PRINTABLE)]


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


class ProfileOut(Schema):
    username: str
    full_name: str
    status: ProfileStatus = Field(description="Where the profile stands, as its page says it")
    status_label: str = Field(description="The state in words, as its page shows it: 'Scraping 12/40 posts'")
    status_message: str = Field(description="Why it failed, when it was synced, what indexing said")
    last_synced_at: datetime | None
    posts: int
    photos: int = Field(description="Its stored photos that can be read")
    searchable_photos: int = Field(description="Of those, how many search finds (image and text vectors made)")
    described_photos: int | None = Field(
        description="Of those, how many are described and read too (null when describing is turned off)"
    )


class PhotoOut(Schema):
    id: int
    post: str = Field(description="The post's shortcode")
    permalink: str
    profile: str
    taken_at: datetime
    slide: int | None = Field(description="The photo's number in a carousel")
    description: str
    alt_text: str
    text_in_photo: str = Field(description="The words read in the photo (OCR)")
    caption: str
    location: str
    thumbnail_url: str
    image_url: str


class MatchOut(Schema):
    field: str = Field(
        description="Where the words were found: caption, alt text, description, text in the photo, place, hashtags"
    )
    excerpt: str = Field(description="A short piece of that field around the first word found")


class HitOut(PhotoOut):
    score: float
    matched: list[MatchOut] = Field(description="Where the query's words were found, with an excerpt")
    signals: list[str] = Field(
        description="Which signals found it: exact, image, text, fulltext; by a photo: same (a copy of it), alike"
    )
    exact: list[str] = Field(description="The hashtags, mentions or place asked for by name")


class SearchOut(Schema):
    query: str
    total: int
    page: int
    has_next: bool
    results: list[HitOut]


class JobOut(Schema):
    id: int
    kind: str
    status: str
    profile: str | None
    progress_done: int
    progress_total: int | None
    message: str
    created_at: datetime
    finished_at: datetime | None


def _photo(photo: Photo, absolute_url: Callable[[str], str]) -> dict:
    post = photo.post
    return {
        "id": photo.pk,
        "post": post.shortcode,
        "permalink": post.permalink,
        "profile": post.profile.username,
        "taken_at": post.taken_at,
        "slide": photo.slide,
        "description": photo.description,
        "alt_text": photo.alt_text,
        "text_in_photo": photo.ocr_text,
        "caption": post.caption,
        "location": post.location_name,
        "thumbnail_url": absolute_url(reverse("photo_thumbnail", args=[photo.pk])),
        "image_url": absolute_url(reverse("photo_image", args=[photo.pk])),
    }


def search_out(result: SearchResult, *, absolute_url: Callable[[str], str]) -> dict:
    """The object GET /api/search returns for a result (`SearchOut`); absolute_url makes a path a full URL."""
    hits = [
        _photo(hit.photo, absolute_url)
        | {
            "score": hit.score,
            "signals": hit.signals,
            "exact": hit.exact,
            "matched": [{"field": match.field, "excerpt": match.excerpt} for match in hit.matched],
        }
        for hit in result.hits
    ]
    return {
        "query": result.query,
        "total": result.total,
        "page": result.page,
        "has_next": result.has_next,
        "results": hits,
    }


def search_json(result: SearchResult, *, absolute_url: Callable[[str], str]) -> str:
    """The body of GET /api/search for a result, as the API renders it: its schema, then Ninja's encoder."""
    return json.dumps(
        SearchOut.model_validate(search_out(result, absolute_url=absolute_url)).model_dump(), cls=NinjaJSONEncoder
    )


@api.get("/search", response={200: SearchOut, 404: Error, 429: Error, **REFUSALS}, tags=["search"])
def search(
    request,
    q: str = Query(..., description="What you remember of the photo", max_length=MAX_QUERY_LENGTH, pattern=QUERY),
    profile: list[Printable] = Query([], description="Usernames of tracked profiles (default: all of them)"),
    after: date | None = None,
    before: date | None = None,
    kind: list[Literal["image", "carousel", "video"]] = Query([]),
    sort: Literal["relevance", "date"] = "relevance",
    page: int = Query(1, ge=1, le=1000),
):
    """Posts of the profiles you track whose photos best match a description, best first."""
    user = request.auth
    search_count(user=user)
    tracked = dict(InstagramProfile.objects.tracked_by(user).values_list("username", "pk"))
    unknown = [name for name in profile if name.lower() not in tracked]
    if unknown:
        return Status(404, {"detail": f"You do not track {', '.join(unknown)}."})
    filters = SearchFilters(
        profile_ids=tuple(tracked[name.lower()] for name in profile),
        taken_after=after,
        taken_before=before,
        kinds=tuple(kind),
        sort=sort,
    )
    try:
        result = photos_search(user=user, query=q, filters=filters, page=page)
    except SearchError as error:
        return Status(400, {"detail": str(error)})
    return search_out(result, absolute_url=request.build_absolute_uri)


@api.post("/search/by-image", response={200: SearchOut, 429: Error, **REFUSALS}, tags=["search"])
def search_by_image(request, image: UploadedFile | None = File(None, description="A JPEG, PNG or WebP photo")):
    """Posts of the profiles you track whose photo is this one (however it was copied), then photos that look like it.

    The photo is sent as multipart form data (field `image`); it is compared, then forgotten: never stored.
    """
    search_count(user=request.auth)  # counted with the searches by words: hashing and a model run too
    try:
        result = photos_by_image(user=request.auth, image=image_upload_read(image))
    except ImageSearchError as error:
        return Status(400, {"detail": str(error)})
    return search_out(result, absolute_url=request.build_absolute_uri)


@api.get("/photos/{photo_id}/similar", response={200: list[PhotoOut], 404: Error, **REFUSALS}, tags=["search"])
def similar(request, photo_id: int):
    """Photos of the profiles you track that look like this one, nearest first."""
    try:
        return [
            _photo(photo, request.build_absolute_uri) for photo in photos_similar(user=request.auth, photo_id=photo_id)
        ]
    except Photo.DoesNotExist:
        return Status(404, {"detail": "No such photo among the profiles you track."})


@api.get("/profiles", response={200: list[ProfileOut], **REFUSALS}, tags=["profiles"])
def profiles(request):
    """The profiles you track, with their state."""
    tracked = list(InstagramProfile.objects.tracked_by(request.auth).with_stored_posts())
    states = profile_states(profiles=tracked)
    return [
        {
            "username": p.username,
            "full_name": p.full_name,
            "status": states[p.pk].status,
            "status_label": states[p.pk].label,
            "status_message": states[p.pk].detail,
            "last_synced_at": p.last_synced_at,
            "posts": p.stored_posts,
            "photos": states[p.pk].photos.total,
            "searchable_photos": states[p.pk].photos.searchable,
            "described_photos": states[p.pk].photos.described,
        }
        for p in tracked
    ]


@api.get("/jobs", response={200: list[JobOut], **REFUSALS}, tags=["profiles"])
def jobs(request, active: bool = False):
    """The latest jobs on the profiles you track or that you asked for (active: only those not ended)."""
    user = request.auth
    found = Job.objects.filter(Q(profile__in=InstagramProfile.objects.tracked_by(user)) | Q(requested_by=user))
    if active:
        found = found.active()
    return [
        {
            "id": job.pk,
            "kind": job.kind,
            "status": job.status,
            "profile": job.profile.username if job.profile else None,
            "progress_done": job.progress_done,
            "progress_total": job.progress_total,
            "message": job.message,
            "created_at": job.created_at,
            "finished_at": job.finished_at,
        }
        for job in found.select_related("profile").order_by("-created_at")[:50]
    ]


def urls():
    """The API's URL patterns, each open to token holders (LoginRequiredMiddleware would send them to a login page)."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace
