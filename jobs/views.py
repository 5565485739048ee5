"""The pages of the profiles a user tracks: the list (home), adding one, its page with its photos and
sync history, "Refresh now" and "Stop tracking"."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from core.throttle import Throttled, throttle
from jobs.forms import ProfileAddForm
from jobs.selectors import profile_state, profile_states
from jobs.services import sync
from jobs.services.jobs import JobRefused
from profiles.models import InstagramProfile, Photo, Tracking
from profiles.services import tracking

PHOTOS_PER_PAGE = 48
HISTORY_LENGTH = 20


def _get_tracked_profile(user, username: str) -> InstagramProfile:
    """A profile the user tracks, or 404: the one door to a profile's page and to what a user may do with it."""
    try:
        return InstagramProfile.objects.tracked_by(user).with_stored_posts().get(username=username.lower())
    except InstagramProfile.DoesNotExist:
        raise Http404(_("You track no such profile.")) from None


def home(request):
    return render(request, "profiles/home.html", _panel(request, ProfileAddForm()))


@require_POST
@vary_on_headers("HX-Request")
def profile_add(request):
    form = ProfileAddForm(request.POST)
    try:
        # Every add counts, refused ones included: each may cost a lookup through the shared Instagram account.
        throttle(action="profile_add", key=request.user.pk, message=_("Too many profiles added in a short time"))
    except Throttled as throttled:
        return _add_refused(request, form, throttled)
    if form.is_valid():
        try:
            profile, _created = sync.profile_track(user=request.user, text=form.cleaned_data["profile"])
        except ValidationError as refused:
            form.add_error("profile", refused)
    if not form.is_valid():
        return _add_refused(request, form)
    if request.htmx:
        return render(request, "profiles/_panel.html", _panel(request, ProfileAddForm(), added=profile))
    messages.success(
        request, _("@%(username)s is in your list; its posts are on their way.") % {"username": profile.username}
    )
    return redirect("home")


def _add_refused(request, form, throttled: Throttled | None = None):
    """The add form with its errors: a 400 (a 200 for HTMX, which swaps no 400), or a 429 when throttled."""
    status = 200 if request.htmx else 400
    if throttled:
        form.is_valid()
        form.add_error(None, str(throttled))
        status = 429  # base.html's htmx-config swaps a 429 in
    template = "profiles/_panel.html" if request.htmx else "profiles/home.html"
    response = render(request, template, _panel(request, form), status=status)
    if throttled:
        response["Retry-After"] = str(throttled.retry_after)
    return response


@require_GET
def profile_list(request):
    """The list alone: what the page polls while a job of one of its profiles runs."""
    return render(request, "profiles/_list.html", _panel(request, None))


@require_GET
@vary_on_headers("HX-Request")
def profile_detail(request, username):
    profile = _get_tracked_profile(request.user, username)
    context = {
        "profile": profile,
        "state": profile_state(profile),
        "jobs": profile.jobs.order_by("-created_at")[:HISTORY_LENGTH],
    }
    if request.htmx:
        return render(request, "profiles/_status.html", context)  # what the page polls while a job runs
    # A reel shows its cover here; its frames are on the cover's page (their strip) and in searches.
    photos = Photo.objects.filter(post__profile=profile, video_time=None).select_related("post__profile")
    photos = photos.order_by("-post__taken_at", "position")
    context["photos"] = Paginator(photos, PHOTOS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "profiles/profile.html", context)


@require_POST
def profile_refresh(request, username):
    profile = _get_tracked_profile(request.user, username)
    # A 429 with the sentence past the rate (photosearch.middleware): each refresh may cost a sync.
    throttle(action="profile_refresh", key=request.user.pk, message="Too many refreshes asked for in a short time")
    try:
        sync.profile_sync_request(profile=profile, requested_by=request.user)
    except JobRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("@%(username)s will be synced in a moment.") % {"username": profile.username})
    return redirect("profile_detail", profile.username) if request.POST.get("from") == "profile" else redirect("home")


@require_POST
def profile_untrack(request, username):
    profile = _get_tracked_profile(request.user, username)
    tracking.profile_untrack(user=request.user, profile=profile)
    untracked = _("You no longer track @%(username)s; its photos are out of your searches.")
    messages.success(request, untracked % {"username": profile.username})
    return redirect("home")


def _panel(request, form, added=None) -> dict:
    profiles = list(InstagramProfile.objects.tracked_by(request.user).with_stored_posts())
    states = profile_states(profiles=profiles)
    for profile in profiles:
        profile.state = states[profile.pk]
    busy = any(state.active for state in states.values())
    # Private profiles this user added but may not see (yet): named, so they do not just vanish.
    hidden = Tracking.objects.filter(user=request.user).exclude(profile__in=[p.pk for p in profiles])
    awaiting = list(hidden.values_list("profile__username", flat=True).order_by("profile__username"))
    return {"profiles": profiles, "form": form, "added": added, "busy": busy, "awaiting": awaiting}
