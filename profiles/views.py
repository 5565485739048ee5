from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from profiles.forms import ProfileAddForm
from profiles.models import InstagramProfile, Photo
from profiles.selectors import profile_state, profile_states
from profiles.services import tracking
from profiles.services.jobs import JobRefused

PHOTOS_PER_PAGE = 48
HISTORY_LENGTH = 20


def _get_tracked_profile(user, username: str) -> InstagramProfile:
    """A profile the user tracks, or 404: the one door to a profile's page and to what a user may do with it."""
    try:
        return InstagramProfile.objects.tracked_by(user).with_stored_posts().get(username=username.lower())
    except InstagramProfile.DoesNotExist:
        raise Http404("You track no such profile.") from None


def home(request):
    return render(request, "profiles/home.html", _panel(request, ProfileAddForm()))


@require_POST
@vary_on_headers("HX-Request")
def profile_add(request):
    form = ProfileAddForm(request.POST)
    if not form.is_valid():
        template = "profiles/_panel.html" if request.htmx else "profiles/home.html"
        return render(request, template, _panel(request, form), status=400 if not request.htmx else 200)
    profile, _ = tracking.profile_track(user=request.user, text=form.cleaned_data["profile"])
    if request.htmx:
        return render(request, "profiles/_panel.html", _panel(request, ProfileAddForm(), added=profile))
    messages.success(request, f"@{profile.username} is in your list; its posts are on their way.")
    return redirect("home")


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
    photos = Photo.objects.filter(post__profile=profile).select_related("post__profile")
    photos = photos.order_by("-post__taken_at", "position")
    context["photos"] = Paginator(photos, PHOTOS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "profiles/profile.html", context)


@require_POST
def profile_refresh(request, username):
    profile = _get_tracked_profile(request.user, username)
    try:
        tracking.profile_sync_request(profile=profile, requested_by=request.user)
    except JobRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"@{profile.username} will be synced in a moment.")
    return redirect("profile_detail", profile.username) if request.POST.get("from") == "profile" else redirect("home")


@require_POST
def profile_untrack(request, username):
    profile = _get_tracked_profile(request.user, username)
    tracking.profile_untrack(user=request.user, profile=profile)
    messages.success(request, f"You no longer track @{profile.username}; its photos are out of your searches.")
    return redirect("home")


def _panel(request, form, added=None) -> dict:
    profiles = list(InstagramProfile.objects.tracked_by(request.user).with_stored_posts())
    states = profile_states(profiles=profiles)
    for profile in profiles:
        profile.state = states[profile.pk]
    busy = any(state.active for state in states.values())
    return {"profiles": profiles, "form": form, "added": added, "busy": busy}
