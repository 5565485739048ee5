from django.shortcuts import render

from profiles.selectors import profiles_tracked_by


def home(request):
    profiles = profiles_tracked_by(user=request.user)
    return render(request, "profiles/home.html", {"profiles": profiles})
