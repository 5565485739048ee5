"""What jobs hears from Django, connected in JobsConfig.ready."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from core.files import file_delete_on_commit
from jobs.models import Job


# An import's zip goes with its job (a profile deleted takes its jobs along), once the deletion commits.
@receiver(post_delete, sender=Job, dispatch_uid="jobs.import_zip_delete")
def import_zip_delete(sender, instance, **kwargs):
    file_delete_on_commit(instance.source_file.storage, instance.source_file.name)
