from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from profiles.forms import ProfileAddForm
from profiles.selectors import profiles_tracked_by
from profiles.services import profile_track


def home(request):
    return render(request, "profiles/home.html", _panel(request, ProfileAddForm()))


@require_POST
def profile_add(request):
    form = ProfileAddForm(request.POST)
    if not form.is_valid():
        template = "profiles/_panel.html" if request.htmx else "profiles/home.html"
        return render(request, template, _panel(request, form), status=400 if not request.htmx else 200)
    profile, _ = profile_track(user=request.user, text=form.cleaned_data["profile"])
    if request.htmx:
        return render(request, "profiles/_panel.html", _panel(request, ProfileAddForm(), added=profile))
    messages.success(request, f"@{profile.username} is in your list; its posts are on their way.")
    return redirect("home")


@require_GET
def profile_list(request):
    """The list alone: what the page polls while a profile is syncing."""
    return render(request, "profiles/_list.html", _panel(request, None))


def _panel(request, form, added=None) -> dict:
    profiles = profiles_tracked_by(user=request.user)
    busy = any(p.status in (p.Status.NEW, p.Status.SYNCING) for p in profiles)
    return {"profiles": profiles, "form": form, "added": added, "busy": busy}
