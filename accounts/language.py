"""The language of the pages: the browser's (LocaleMiddleware), unless the person chose one in the footer.

The choice is kept in a cookie (Django's set_language) and, for a signed-in person, on their account
(Preferences), copied into their session when they log in so that each request costs no query.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from accounts.models import Preferences

SESSION_KEY = "account_language"


@login_not_required
@require_POST
def language_choose(request):
    """The footer's switcher: Django's set_language (the cookie, back to the page), and the account's choice."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        # Django's view keeps any language it has a catalogue of (German...); the site offers two.
        response.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
        return response
    if request.user.is_authenticated:
        Preferences.objects.update_or_create(user=request.user, defaults={"language": language})
        request.session[SESSION_KEY] = language
    return response


@receiver(user_logged_in, dispatch_uid="accounts.language_on_log_in")
def language_on_log_in(sender, request, user, **kwargs):
    language = Preferences.objects.filter(user=user).values_list("language", flat=True).first()
    if language and request is not None:
        request.session[SESSION_KEY] = language


class AccountLanguageMiddleware:
    """After LocaleMiddleware: a signed-in person's chosen language wins over the browser's and the cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
