"""The API's router for saved searches and notifications (mounted on photosearch/api.py: same auth, schema, docs)."""

import json
from datetime import date, datetime
from typing import Literal

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import ValidationError
from pydantic import StrictBool, StrictInt, field_validator

from alerts.models import MAX_NAME_LENGTH, Notification, SavedSearch
from alerts.services import notifications_mark_read, saved_search_create, saved_search_delete, saved_search_update
from core.api import PRINTABLE, QUERY, REFUSALS, Error, Printable
from search.types import MAX_QUERY_LENGTH, SearchError, SearchFilters, UnknownProfiles

router = Router(tags=["alerts"])


def _json_object(request) -> None:
    """A body that is no JSON object is a 422 like any malformed one (ninja would read a list as an empty object)."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return  # ninja refuses an unreadable body itself
    if not isinstance(body, dict):
        raise ValidationError([{"type": "model_type", "loc": ("body",), "msg": "The body must be a JSON object"}])


class SavedSearchIn(Schema):
    q: str = Field(..., description="The description searched for", max_length=MAX_QUERY_LENGTH, pattern=QUERY)
    name: str = Field("", description=f"Up to {MAX_NAME_LENGTH} characters; the query when empty", pattern=PRINTABLE)
    profile: list[Printable] = Field([], description="Usernames of tracked profiles (default: all of them)")
    after: date | None = None
    before: date | None = None
    kind: list[Literal["image", "carousel", "video"]] = []
    sort: Literal["relevance", "date"] = "relevance"
    email_digest: StrictBool = Field(False, description="Put its new notifications in the daily e-mail")

    @field_validator("after", "before", mode="before")
    @classmethod
    def iso_dates(cls, value):
        if value is not None and not isinstance(value, str | date):
            raise ValueError("a date is written YYYY-MM-DD")
        return value


class SavedSearchChange(Schema):
    name: str | None = Field(None, description=f"A new name, up to {MAX_NAME_LENGTH} characters", pattern=PRINTABLE)
    email_digest: StrictBool | None = None


class SavedSearchOut(Schema):
    id: int
    name: str
    query: str
    profiles: list[str]
    after: date | None
    before: date | None
    kinds: list[str]
    sort: str
    email_digest: bool
    created_at: datetime
    unread: int = Field(description="Its notifications not read yet")
    search_url: str = Field(description="The search page running it")


class NotificationOut(Schema):
    id: int
    saved_search: int
    saved_search_name: str
    created_at: datetime
    read: bool
    photo: int
    post: str = Field(description="The post's shortcode")
    profile: str
    photo_url: str = Field(description="The photo's page, with its post")
    thumbnail_url: str
    permalink: str = Field(description="The post on Instagram")
    video_time: float | None = Field(description="A video's frame: where it is in the video, in seconds")
    moment: str = Field(description='A video\'s frame: where it is in the video, as "0:04"; empty for a photo')


class NotificationsOut(Schema):
    unread: int = Field(description="How many of your notifications are unread")
    results: list[NotificationOut]


class ReadIn(Schema):
    ids: list[StrictInt] | None = Field(
        None, description="The notifications to mark read (null or left out: all of yours)"
    )


class ReadOut(Schema):
    marked: int = Field(description="How many were unread and are read now")


def _saved_search(saved: SavedSearch, request) -> dict:
    return {
        "id": saved.pk,
        "name": saved.name,
        "query": saved.query,
        "profiles": [profile.username for profile in saved.profiles.all()],
        "after": saved.taken_after,
        "before": saved.taken_before,
        "kinds": saved.kinds,
        "sort": saved.sort,
        "email_digest": saved.email_digest,
        "created_at": saved.created_at,
        "unread": getattr(saved, "unread", 0),
        "search_url": request.build_absolute_uri(f"{reverse('search')}?{saved.query_string()}"),
    }


def _own_saved_searches(user):
    return SavedSearch.objects.filter(user=user).with_unread().prefetch_related("profiles")


@router.get("/saved-searches", response={200: list[SavedSearchOut], **REFUSALS})
def saved_searches(request):
    """Your saved searches, by name."""
    return [_saved_search(saved, request) for saved in _own_saved_searches(request.auth)]


@router.post("/saved-searches", response={201: SavedSearchOut, 400: Error, 404: Error, **REFUSALS})
def saved_search_new(request, payload: SavedSearchIn):
    """Save a search: the photos indexed from now on that match it become notifications.

    400: an empty query, a name too long, dates out of order, too many saved searches; 404: a profile you do not track.
    """
    user = request.auth
    try:
        filters = SearchFilters.of_usernames(
            user=user,
            usernames=payload.profile,
            taken_after=payload.after,
            taken_before=payload.before,
            kinds=tuple(payload.kind),
            sort=payload.sort,
        )
    except UnknownProfiles as unknown:
        return Status(404, {"detail": str(unknown)})
    try:
        saved = saved_search_create(
            user=user, query=payload.q, filters=filters, name=payload.name, email_digest=payload.email_digest
        )
    except SearchError as error:
        return Status(400, {"detail": str(error)})
    return Status(201, _saved_search(_own_saved_searches(user).get(pk=saved.pk), request))


@router.patch("/saved-searches/{saved_search_id}", response={200: SavedSearchOut, 400: Error, 404: Error, **REFUSALS})
def saved_search_change(request, saved_search_id: int, payload: SavedSearchChange):
    """Rename a saved search, or turn its daily e-mail on or off. 404: no such saved search of yours."""
    _json_object(request)
    saved = _own_saved_searches(request.auth).filter(pk=saved_search_id).first()
    if saved is None:
        return Status(404, {"detail": _("No such saved search among yours.")})
    name = saved.name if payload.name is None else payload.name
    digest = saved.email_digest if payload.email_digest is None else payload.email_digest
    try:
        saved_search_update(saved_search=saved, name=name, email_digest=digest)
    except SearchError as error:
        return Status(400, {"detail": str(error)})
    return _saved_search(saved, request)


@router.delete("/saved-searches/{saved_search_id}", response={204: None, 404: Error, **REFUSALS})
def saved_search_forget(request, saved_search_id: int):
    """Delete a saved search and its notifications. 404: no such saved search of yours."""
    saved = SavedSearch.objects.filter(pk=saved_search_id, user=request.auth).first()
    if saved is None:
        return Status(404, {"detail": _("No such saved search among yours.")})
    saved_search_delete(saved_search=saved)
    return Status(204, None)


@router.get("/notifications", response={200: NotificationsOut, **REFUSALS})
def notifications(
    request,
    unread: bool = Query(False, description="Only the notifications not read yet"),
    limit: int = Query(50, ge=1, le=500),
):
    """Your notifications, newest first: photos that your saved searches matched when they were indexed."""
    mine = Notification.objects.for_user(request.auth)
    found = mine.unread() if unread else mine
    found = found.select_related("saved_search", "photo__post__profile")[:limit]
    return {
        "unread": mine.unread().count(),
        "results": [
            {
                "id": n.pk,
                "saved_search": n.saved_search_id,
                "saved_search_name": n.saved_search.name,
                "created_at": n.created_at,
                "read": n.read_at is not None,
                "photo": n.photo_id,
                "post": n.photo.post.shortcode,
                "profile": n.photo.post.profile.username,
                "photo_url": request.build_absolute_uri(reverse("photo_detail", args=[n.photo_id])),
                "thumbnail_url": request.build_absolute_uri(reverse("photo_thumbnail", args=[n.photo_id])),
                "permalink": n.photo.post.permalink,
                "video_time": n.photo.video_time,
                "moment": n.photo.moment,
            }
            for n in found
        ],
    }


@router.post("/notifications/read", response={200: ReadOut, **REFUSALS})
def notifications_read(request, payload: ReadIn):
    """Mark your notifications read: these ids (others' are left alone), or all of them (`{}`)."""
    _json_object(request)
    return {"marked": notifications_mark_read(user=request.auth, ids=payload.ids)}
