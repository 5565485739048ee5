"""Staff import a zipped instaloader folder in the admin; a real worker runs the import."""

import io
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jobs.models import Job
from jobs.services import uploads as imports
from jobs.tasks import run_import_job
from profiles.models import Photo, Post
from profiles.tests.factories import settled
from profiles.tests.fixtures.make_instaloader_folder import CORRUPT_SLIDE

pytestmark = pytest.mark.django_db(transaction=True)
FOLDER = Path(__file__).parent / "fixtures" / "instaloader" / "natgeotravel"


def zipped_folder() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in FOLDER.iterdir():
            archive.write(file, f"natgeotravel/{file.name}")
    return SimpleUploadedFile("natgeotravel.zip", buffer.getvalue(), content_type="application/zip")


def test_staff_import_a_zipped_instaloader_folder(admin_client, scrape_worker):
    response = admin_client.post(reverse("admin:profiles_import_zip"), {"archive": zipped_folder()})
    job = settled(Job.objects.get(kind=Job.Kind.IMPORT))
    assert response.url == reverse("admin:jobs_job_change", args=[job.pk])
    assert job.status == Job.Status.DONE
    assert (Post.objects.count(), Photo.objects.count()) == (7, 8)
    assert set(Post.objects.values_list("profile__username", flat=True)) == {"natgeotravel"}
    assert CORRUPT_SLIDE in job.message


def test_a_file_that_is_not_a_zip_gets_a_form_error_and_no_job(admin_client):
    upload = SimpleUploadedFile("photos.zip", b"not a zip at all", content_type="application/zip")
    response = admin_client.post(reverse("admin:profiles_import_zip"), {"archive": upload})
    assert response.status_code == 200
    assert "This file is not a zip." in response.text
    assert not Job.objects.exists()


def test_the_profiles_list_links_to_the_import(admin_client):
    response = admin_client.get(reverse("admin:profiles_instagramprofile_changelist"))
    assert reverse("admin:profiles_import_zip") in response.text


def zip_job(admin_user, entries: dict[str, bytes]) -> Job:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    upload = SimpleUploadedFile("upload.zip", buffer.getvalue())
    return imports.zip_import_queue(upload=upload, profile=None, requested_by=admin_user)


def test_no_path_in_a_zip_is_followed_out_of_its_folder(admin_user, tmp_path):
    job = zip_job(admin_user, {"../../escape.jpg": b"x", "natgeotravel/a.jpg": b"y"})
    (tmp_path / "scratch").mkdir()
    folder = imports.zip_extract(job=job, into=tmp_path / "scratch")
    assert sorted(path.name for path in folder.iterdir()) == ["a.jpg", "escape.jpg"]
    assert not (tmp_path / "escape.jpg").exists()


def test_a_zip_that_unpacks_too_large_is_refused(admin_user, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 10_000
    job = zip_job(admin_user, {"natgeotravel/big.jpg": b"\0" * 20_000})  # compresses to almost nothing
    with pytest.raises(imports.ImportRefused, match="unpacks to more than 10000 bytes"):
        imports.zip_extract(job=job, into=tmp_path)


def lying_zip(admin_user, compression: int, size: int) -> Job:
    """A zip of one entry of `size` zero bytes whose headers declare 1 KB: the sizes an attacker writes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        archive.writestr("natgeotravel/2024-05-01_00-00-00_UTC.jpg", b"\0" * size)
    data = bytearray(buffer.getvalue())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local header, central directory
        at = data.index(signature) + offset
        data[at : at + 4] = (1024).to_bytes(4, "little")
    upload = SimpleUploadedFile("bomb.zip", bytes(data))
    return imports.zip_import_queue(upload=upload, profile=None, requested_by=admin_user)


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_it_refuses_a_zip_bomb_on_the_bytes_it_decompresses_not_those_it_declares(
    admin_user, tmp_path, settings, compression
):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    job = lying_zip(admin_user, compression, 64 * 1024 * 1024)  # 64 MiB of zeros, declared as 1 KB
    (tmp_path / "scratch").mkdir()
    tracemalloc.start()
    try:
        with pytest.raises(imports.ImportRefused, match="unpacks to more than 1048576 bytes"):
            imports.zip_extract(job=job, into=tmp_path / "scratch")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # Read in small pieces (LZMA's dictionary aside, 8 MiB here): never the whole 64 MiB entry in memory.
    assert peak < 16 * 1024 * 1024
    assert sum(file.stat().st_size for file in (tmp_path / "scratch").rglob("*") if file.is_file()) <= 1024 * 1024


@pytest.mark.parametrize("compression", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_it_unpacks_an_entry_of_each_compression_whole(admin_user, tmp_path, compression):
    data = FOLDER.joinpath("2024-05-01_00-00-00_UTC.jpg").read_bytes() * 50
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        archive.writestr("natgeotravel/2024-05-01_00-00-00_UTC.jpg", data)
    upload = SimpleUploadedFile("upload.zip", buffer.getvalue())
    job = imports.zip_import_queue(upload=upload, profile=None, requested_by=admin_user)
    folder = imports.zip_extract(job=job, into=tmp_path)
    assert (folder / "2024-05-01_00-00-00_UTC.jpg").read_bytes() == data


def test_it_refuses_an_entry_whose_bytes_do_not_match_its_checksum(admin_user, tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("natgeotravel/a.jpg", b"the original bytes")
    upload = SimpleUploadedFile("upload.zip", buffer.getvalue().replace(b"original", b"tampered"))
    job = imports.zip_import_queue(upload=upload, profile=None, requested_by=admin_user)
    with pytest.raises(imports.ImportRefused, match="not a readable zip"):
        imports.zip_extract(job=job, into=tmp_path)


def test_the_zip_is_removed_once_its_import_is_done(admin_user, django_capture_on_commit_callbacks):
    job = imports.zip_import_queue(upload=zipped_folder(), profile=None, requested_by=admin_user)
    stored = job.source_file.name
    assert default_storage.exists(stored)
    with django_capture_on_commit_callbacks(execute=True):
        run_import_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert not job.source_file and not default_storage.exists(stored)


def test_a_zip_whose_import_failed_is_kept_to_retry(admin_user, django_capture_on_commit_callbacks):
    upload = SimpleUploadedFile("natgeotravel.zip", b"not a zip, whatever its name says")
    job = imports.zip_import_queue(upload=upload, profile=None, requested_by=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        run_import_job.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert default_storage.exists(job.source_file.name)
