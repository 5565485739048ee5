"""What accounts hears from Django, connected in AccountsConfig.ready."""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import ApiToken


# Any new password revokes the account's API tokens, wherever it was set: the pages, a reset link, the
# admin, `changepassword`. set_password() leaves the raw password on the user until the save that stores
# it (then Django's validators are told, and it is forgotten); a hash merely upgraded at log-in does not.
@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts.revoke_tokens_on_new_password")
def revoke_tokens_on_new_password(sender, instance, created, raw=False, **kwargs):
    if not created and not raw and getattr(instance, "_password", None) is not None:
        ApiToken.revoke_all(user=instance)
