from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.forms import ApiTokenForm, SignUpForm
from accounts.models import ApiToken
from core.addresses import client_ip
from core.throttle import throttle

TOKENS_REVOKED = _("Your API tokens were revoked with the old password: make new ones for your scripts.")


@login_not_required
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    if request.method == "POST":
        throttle(action="signup", key=client_ip(request), message=_("Too many sign-ups from your address"))
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


def api_tokens(request):
    form = ApiTokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        _, new_key = ApiToken.issue(user=request.user, name=form.cleaned_data["name"])
        form = ApiTokenForm()
    tokens = request.user.api_tokens.all()
    return render(request, "accounts/api_tokens.html", {"form": form, "tokens": tokens, "new_key": new_key})


@require_POST
def api_token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.delete()
    messages.success(request, _("The token “%(name)s” no longer works.") % {"name": token.name})
    return redirect("api_tokens")


class PasswordReset(auth_views.PasswordResetView):
    """Django's, with a rate per address and per e-mail: each one sends a mail."""

    def post(self, request, *args, **kwargs):
        message = _("Too many password-reset e-mails asked for")
        throttle(action="password_reset", key=client_ip(request), message=message)
        throttle(action="password_reset", key=request.POST.get("email", "").strip().lower(), message=message)
        return super().post(request, *args, **kwargs)


class PasswordChange(auth_views.PasswordChangeView):
    """Django's; a new password also revokes every API token of the account, which it says."""

    def form_valid(self, form):
        had_tokens = ApiToken.objects.filter(user=form.user).exists()
        response = super().form_valid(form)  # the new password revokes them (accounts.receivers)
        if had_tokens:
            messages.info(self.request, TOKENS_REVOKED)
        return response


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    """Django's; a new password also revokes every API token of the account, which it says."""

    def form_valid(self, form):
        had_tokens = ApiToken.objects.filter(user=form.user).exists()
        response = super().form_valid(form)  # the new password revokes them (accounts.receivers)
        if had_tokens:
            messages.info(self.request, TOKENS_REVOKED)
        return response
