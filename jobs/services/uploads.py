"""An instaloader zip uploaded by staff in the admin: kept in Django storage, imported by a job."""

from pathlib import Path

from core.files import file_delete_on_commit
from jobs.models import Job
from jobs.runner import job_send_on_commit
from profiles.models import InstagramProfile
from profiles.services.imports import ImportRefused, zip_unpack


def zip_import_queue(*, upload, profile: InstagramProfile | None, requested_by) -> Job:
    """Keep the zip in Django storage (any worker can read it there) and queue its import after commit."""
    from jobs.tasks import run_import_job  # the tasks module imports this one

    job = Job(kind=Job.Kind.IMPORT, profile=profile, requested_by=requested_by)
    job.source_file.save(Path(upload.name).name, upload, save=False)
    job.save()
    job_send_on_commit(run_import_job, (job.pk,))
    return job


def zip_extract(*, job: Job, into: Path) -> Path:
    """Unpack the job's zip, flat, into a folder named after its profile (profiles.services.imports.zip_unpack)."""
    if not job.source_file:
        raise ImportRefused("This import has no zip file.")
    return zip_unpack(source=job.source_file, into=into, name=job.profile.username if job.profile else "")


def zip_discard(*, job: Job) -> None:
    """Remove an imported zip, its import done: what it held is stored now (a failed import keeps it, to retry)."""
    name = job.source_file.name
    Job.objects.filter(pk=job.pk).update(source_file="")
    job.source_file.name = ""
    file_delete_on_commit(job.source_file.storage, name)
