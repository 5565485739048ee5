from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from core.images import ImageRefused
from profiles.models import Photo
from search.by_image import ImageSearchError, image_upload_read, photos_by_image
from search.forms import ImageSearchForm, SearchForm
from search.ml.availability import models_missing
from search.services import photos_browse, photos_scope, photos_search, photos_similar, search_count
from search.thumbnails import ensure_thumbnail
from search.types import SearchError


def _get_photo_for_user(user, pk) -> Photo:
    """A photo of a profile the user tracks, or 404: the one door to any single photo."""
    try:
        return photos_scope(user=user).select_related("post__profile").get(pk=pk)
    except Photo.DoesNotExist:
        raise Http404(_("No such photo among the profiles you track.")) from None


@require_GET
@vary_on_headers("HX-Request")
def search(request):
    form = SearchForm(request.GET or None, user=request.user)
    result = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        search_count(user=request.user)
        try:
            result = photos_search(
                user=request.user,
                query=form.cleaned_data["q"],
                filters=form.filters(),
                page=form.cleaned_data["page"] or 1,
            )
        except SearchError as error:
            form.add_error("q", str(error))
    elif form.is_valid() and form.cleaned_data["profile"]:
        # No words yet, a profile chosen: its photos, newest first, to narrow down from.
        result = photos_browse(user=request.user, filters=form.filters(), page=form.cleaned_data["page"] or 1)
    context = {
        "form": form,
        "image_form": ImageSearchForm(),
        "result": result,
        "tracks_any": form.fields["profile"].queryset.exists(),
        "models_missing": models_missing(),
        "ranking_seconds": settings.SEARCH_RANKING_SECONDS,  # how long a kept ranking's cards are kept
    }
    if result and result.has_next:
        following = request.GET.copy()
        following["page"] = result.page + 1
        context["next_page"] = following.urlencode()
    if request.htmx and request.GET.get("page"):
        return render(request, "search/_hits.html", context)  # "more results": the next cards only
    if request.htmx:
        return render(request, "search/_results.html", context)
    return render(request, "search/search.html", context)


@require_POST
def search_by_image(request):
    """The search page's photo form: copies of the photo first, then photos that look like it."""
    form, image_form, result = SearchForm(user=request.user), ImageSearchForm(request.POST, request.FILES), None
    search_count(user=request.user)  # counted with the searches by words
    if image_form.is_valid():
        try:
            result = photos_by_image(user=request.user, image=image_upload_read(image_form.cleaned_data["image"]))
        except ImageSearchError as error:
            image_form.add_error("image", str(error))
    tracks_any = form.fields["profile"].queryset.exists()
    context = {"form": form, "image_form": image_form, "result": result, "tracks_any": tracks_any}
    return render(request, "search/search.html", context, status=400 if image_form.errors else 200)


@require_GET
@vary_on_headers("HX-Request")
def photo_detail(request, pk):
    photo = _get_photo_for_user(request.user, pk)
    template = "search/_photo.html" if request.htmx else "search/photo.html"
    frames = photo.post.photos.exclude(video_time=None).order_by("video_time")  # a video's frames: its strip
    return render(request, template, {"photo": photo, "post": photo.post, "frames": frames})


@require_GET
@vary_on_headers("HX-Request")
def photo_similar(request, pk):
    photo = _get_photo_for_user(request.user, pk)
    similar = photos_similar(user=request.user, photo_id=photo.pk)
    template = "search/_similar.html" if request.htmx else "search/similar.html"
    return render(request, template, {"photo": photo, "similar": similar})


# Images are streamed through the access check, from local files or a private bucket alike: no
# bucket URL (public or signed) ever reaches a browser, so every request is checked afresh.
@require_GET
@cache_control(private=True, max_age=7 * 24 * 3600)
def photo_thumbnail(request, pk):
    photo = _get_photo_for_user(request.user, pk)
    try:
        name = ensure_thumbnail(photo)
    except (ImageRefused, OSError):
        raise Http404(_("This photo's image cannot be read.")) from None
    return FileResponse(photo.image.storage.open(name, "rb"), content_type="image/webp")


@require_GET
@cache_control(private=True, max_age=7 * 24 * 3600)
def photo_image(request, pk):
    photo = _get_photo_for_user(request.user, pk)
    try:
        return FileResponse(photo.image.open("rb"))
    except OSError:
        raise Http404(_("This photo's image file is missing.")) from None
