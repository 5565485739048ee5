"""What profiles hears from Django, connected in ProfilesConfig.ready."""

from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.files import file_delete_on_commit
from profiles.models import InstagramProfile, Photo, Post, Tracking


# Every new account tracks the demo profile, so there is something to search at once; it can stop any time.
@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="profiles.track_demo_on_sign_up")
def track_demo_on_sign_up(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        demos = InstagramProfile.objects.filter(is_demo=True)
        Tracking.objects.bulk_create([Tracking(user=instance, profile=demo) for demo in demos], ignore_conflicts=True)


# A photo's file, a post's video and a profile's picture go with their rows (a profile deleted takes its posts
# and photos along: Django's cascade sends this for each), once the deletion commits.
@receiver(post_delete, sender=Photo, dispatch_uid="profiles.photo_file_delete")
def photo_file_delete(sender, instance, **kwargs):
    file_delete_on_commit(instance.image.storage, instance.image.name)


@receiver(post_delete, sender=Post, dispatch_uid="profiles.post_video_delete")
def post_video_delete(sender, instance, **kwargs):
    file_delete_on_commit(instance.video.storage, instance.video.name)


@receiver(post_delete, sender=InstagramProfile, dispatch_uid="profiles.profile_picture_delete")
def profile_picture_delete(sender, instance, **kwargs):
    file_delete_on_commit(instance.profile_picture.storage, instance.profile_picture.name)
