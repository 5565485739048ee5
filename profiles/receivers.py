"""What profiles hears from Django, connected in ProfilesConfig.ready."""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from profiles.models import InstagramProfile, Tracking


# Every new account tracks the demo profile, so there is something to search at once; it can stop any time.
@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="profiles.track_demo_on_sign_up")
def track_demo_on_sign_up(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        demos = InstagramProfile.objects.filter(is_demo=True)
        Tracking.objects.bulk_create([Tracking(user=instance, profile=demo) for demo in demos], ignore_conflicts=True)
