"""The API's search router (mounted on photosearch/api.py): search by words, by a photo, and photos alike."""

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Literal

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile
from ninja.responses import NinjaJSONEncoder

from core.api import QUERY, REFUSALS, Error, Printable
from profiles.models import Photo
from search.by_image import ImageSearchError, image_upload_read, photos_by_image
from search.services import photos_search, photos_similar, search_count
from search.types import MAX_QUERY_LENGTH, SearchError, SearchFilters, SearchResult, UnknownProfiles

router = Router(tags=["search"])


class PhotoOut(Schema):
    id: int
    post: str = Field(description="The post's shortcode")
    permalink: str
    profile: str
    taken_at: datetime
    slide: int | None = Field(description="The photo's number in a carousel")
    video_time: float | None = Field(description="A video's frame: where it is in the video, in seconds")
    moment: str = Field(description='A video\'s frame: where it is in the video, as "0:04"; empty for a photo')
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


def _photo(photo: Photo, absolute_url: Callable[[str], str]) -> dict:
    post = photo.post
    return {
        "id": photo.pk,
        "post": post.shortcode,
        "permalink": post.permalink,
        "profile": post.profile.username,
        "taken_at": post.taken_at,
        "slide": photo.slide,
        "video_time": photo.video_time,
        "moment": photo.moment,
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


@router.get("/search", response={200: SearchOut, 404: Error, 429: Error, **REFUSALS})
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
    try:
        filters = SearchFilters.of_usernames(
            user=user, usernames=profile, taken_after=after, taken_before=before, kinds=tuple(kind), sort=sort
        )
    except UnknownProfiles as unknown:
        return Status(404, {"detail": str(unknown)})
    try:
        result = photos_search(user=user, query=q, filters=filters, page=page)
    except SearchError as error:
        return Status(400, {"detail": str(error)})
    return search_out(result, absolute_url=request.build_absolute_uri)


@router.post("/search/by-image", response={200: SearchOut, 429: Error, **REFUSALS})
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


@router.get("/photos/{photo_id}/similar", response={200: list[PhotoOut], 404: Error, **REFUSALS})
def similar(request, photo_id: int):
    """Photos of the profiles you track that look like this one, nearest first."""
    try:
        return [
            _photo(photo, request.build_absolute_uri) for photo in photos_similar(user=request.auth, photo_id=photo_id)
        ]
    except Photo.DoesNotExist:
        return Status(404, {"detail": _("No such photo among the profiles you track.")})
