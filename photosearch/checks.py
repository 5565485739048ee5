"""System checks of a production configuration: `manage.py check --deploy` runs them (compose also refuses to
start without EMAIL_HOST). Not on every command: a person running `manage.py` on their own machine, without
DEBUG, has no SMTP server to name, and needs none."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def email_configured(app_configs, **kwargs):
    """Without an SMTP server, production would print password-reset links in the web process's log."""
    if settings.DEBUG or settings.EMAIL_BACKEND != "django.core.mail.backends.console.EmailBackend":
        return []
    return [
        checks.Error(
            "EMAIL_HOST is not set: password-reset mails would only be printed in the web process's log.",
            hint="Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, DEFAULT_FROM_EMAIL) "
            "to an SMTP server; DEBUG=1 prints mails instead, for a trial on your own machine.",
            id="photosearch.E001",
        )
    ]
