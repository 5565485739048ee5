from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alerts.forms import SavedSearchForm, SaveSearchForm
from alerts.models import SavedSearch
from alerts.services import (
    notifications_grouped,
    notifications_mark_read,
    saved_search_create,
    saved_search_delete,
    saved_search_update,
)
from search.types import SearchError


def _get_saved_search_for_user(user, pk) -> SavedSearch:
    """One of the user's saved searches, or 404: the one door to any single saved search."""
    try:
        return SavedSearch.objects.get(pk=pk, user=user)
    except SavedSearch.DoesNotExist:
        raise Http404(_("No such saved search among yours.")) from None


def _search_page_for(posted) -> str:
    """The search page of the query and filters posted to "Save this search", to go back to."""
    params = posted.copy()
    for name in ("csrfmiddlewaretoken", "name", "email_digest"):
        params.pop(name, None)
    return f"{reverse('search')}?{params.urlencode()}"


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


@require_GET
def saved_searches(request):
    found = request.user.saved_searches.with_unread().prefetch_related("profiles")
    forms = [
        (saved, SavedSearchForm(initial={"name": saved.name, "email_digest": saved.email_digest})) for saved in found
    ]
    return render(request, "alerts/saved_searches.html", {"saved_searches": forms})


@require_POST
def saved_search_save(request):
    form = SaveSearchForm(request.POST, user=request.user)
    try:
        if not form.is_valid():
            raise SearchError(_first_error(form))
        data = form.cleaned_data
        saved = saved_search_create(
            user=request.user,
            query=data["q"],
            filters=form.filters(),
            name=data["name"],
            email_digest=data["email_digest"],
        )
    except SearchError as error:
        messages.error(request, _("The search was not saved: %(error)s") % {"error": error})
        return redirect(_search_page_for(request.POST))
    saved_message = _("Saved “%(name)s”: new photos that match it will show under Alerts.")
    messages.success(request, saved_message % {"name": saved.name})
    return redirect("saved_searches")


@require_POST
def saved_search_edit(request, pk):
    saved = _get_saved_search_for_user(request.user, pk)
    form = SavedSearchForm(request.POST)
    try:
        if not form.is_valid():
            raise SearchError(_first_error(form))
        saved_search_update(saved_search=saved, **form.cleaned_data)
    except SearchError as error:
        messages.error(request, _("“%(name)s” was not changed: %(error)s") % {"name": saved.name, "error": error})
    return redirect("saved_searches")


@require_POST
def saved_search_remove(request, pk):
    saved = _get_saved_search_for_user(request.user, pk)
    saved_search_delete(saved_search=saved)
    messages.success(request, _("Deleted “%(name)s”.") % {"name": saved.name})
    return redirect("saved_searches")


@require_GET
def notifications(request):
    groups = notifications_grouped(user=request.user)
    # Read once seen: the page still marks as new what was unread when it was asked for.
    notifications_mark_read(user=request.user, ids=[n.pk for group in groups for n in group.notifications])
    return render(request, "alerts/notifications.html", {"groups": groups})
