"""jobs.0001 takes Job and JobPhoto over from profiles: on a database that has jobs, every row stays."""

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from jobs.models import Job, JobPhoto

BEFORE = ("profiles", "0010_hnsw_ef_construction_128")


def migrate(targets):
    MigrationExecutor(connection).migrate(targets)


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def database_before_the_move(transactional_db):
    """The database as it was before jobs had an app of their own; migrated back to the latest afterwards."""
    migrate([BEFORE, ("jobs", None)])
    yield MigrationExecutor(connection).loader.project_state([BEFORE]).apps
    migrate(latest())


def test_moving_jobs_to_their_app_keeps_every_row_and_link(database_before_the_move):
    apps = database_before_the_move
    Profile, Post, Photo = (apps.get_model("profiles", name) for name in ("InstagramProfile", "Post", "Photo"))
    OldJob, OldJobPhoto = apps.get_model("profiles", "Job"), apps.get_model("profiles", "JobPhoto")
    profile = Profile.objects.create(username="natgeotravel")
    post = Post.objects.create(profile=profile, shortcode="C0ast", taken_at=timezone.now())
    photo = Photo.objects.create(post=post, position=1, image="photos/a.jpg", width=1080, height=1080, sha256="0" * 64)
    failed = OldJob.objects.create(kind="sync", profile=profile, status="failed", message="Instagram said no.")
    retry = OldJob.objects.create(kind="sync", profile=profile, status="running", retry_of=failed, progress_done=3)
    index = OldJob.objects.create(kind="index", profile=profile, status="queued", progress_total=1)
    OldJobPhoto.objects.create(job=index, photo=photo, counted=True)
    # A permission given on jobs before the move (a staff group that may retry them, say).
    content_type = ContentType.objects.get_or_create(app_label="profiles", model="job")[0]
    permission = Permission.objects.get_or_create(
        content_type=content_type, codename="change_job", defaults={"name": "Can change job"}
    )[0]

    migrate(latest())

    assert list(Job.objects.order_by("pk").values_list("pk", "kind", "status", "message")) == [
        (failed.pk, "sync", "failed", "Instagram said no."),
        (retry.pk, "sync", "running", ""),
        (index.pk, "index", "queued", ""),
    ]
    assert Job.objects.get(pk=retry.pk).retry_of_id == failed.pk
    assert Job.objects.get(pk=retry.pk).progress_done == 3
    assert list(JobPhoto.objects.values_list("job_id", "photo_id", "counted")) == [(index.pk, photo.pk, True)]
    assert Permission.objects.get(pk=permission.pk).content_type.app_label == "jobs"
    tables = connection.introspection.table_names()
    assert "jobs_job" in tables and "jobs_jobphoto" in tables
    assert "profiles_job" not in tables and "profiles_jobphoto" not in tables


def test_new_jobs_get_ids_after_the_moved_ones(database_before_the_move):
    apps = database_before_the_move
    old = apps.get_model("profiles", "Job").objects.create(kind="import", status="done")

    migrate(latest())

    # The renamed table keeps its sequence: a new job never takes a moved one's id.
    assert Job.objects.create(kind=Job.Kind.INDEX).pk > old.pk
