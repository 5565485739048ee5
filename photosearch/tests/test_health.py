import os
import time

import pytest
from django.core.management import CommandError, call_command

from photosearch.storage import media_storage


@pytest.mark.django_db
def test_healthz_answers_without_login_when_everything_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": True, "broker": True, "cache": True}


@pytest.mark.django_db
def test_healthz_says_503_when_the_caches_redis_does_not_answer(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": True, "broker": True, "cache": False}


@pytest.mark.django_db
def test_healthz_says_503_when_the_brokers_redis_does_not_answer(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # the queues' server; the cache's still answers
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": True, "broker": False, "cache": True}


@pytest.mark.django_db
def test_the_beat_check_fails_once_beat_stops_writing_its_schedule(settings, tmp_path, capsys):
    settings.CELERY_BEAT_SCHEDULE_FILENAME = str(tmp_path / "celerybeat-schedule")
    with pytest.raises(CommandError):
        call_command("healthcheck", "--beat")  # never written
    written = tmp_path / "celerybeat-schedule.dat"  # dbm.dumb's name for it
    written.write_bytes(b"entries")
    call_command("healthcheck", "--beat")
    assert "beat's schedule: ok" in capsys.readouterr().out
    stale = time.time() - settings.BEAT_STALE_SECONDS - 60
    os.utime(written, (stale, stale))
    with pytest.raises(CommandError):
        call_command("healthcheck", "--beat")
    assert "beat's schedule: NOT ANSWERING" in capsys.readouterr().out


def test_the_healthcheck_command_names_the_queue_with_no_worker(transactional_db, capsys):
    with pytest.raises(CommandError):
        call_command("healthcheck", "--workers", "--timeout", "1")
    out = capsys.readouterr().out
    assert "database: ok" in out
    assert "queue scrape: NOT ANSWERING" in out


@pytest.mark.django_db
def test_the_healthcheck_command_checks_the_media_bucket_when_media_are_in_one(media_bucket, capsys):
    call_command("healthcheck")
    assert "media bucket: ok" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_healthcheck_command_fails_when_the_media_bucket_does_not_answer(s3_server, settings, capsys):
    url = f"s3://photosearch:secret@no-such-bucket?endpoint_url={s3_server}&region=us-east-1"
    settings.STORAGES = settings.STORAGES | {"default": media_storage({"MEDIA_STORAGE_URL": url})}
    with pytest.raises(CommandError):
        call_command("healthcheck")
    assert "media bucket: NOT ANSWERING" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_healthcheck_command_says_nothing_of_a_bucket_when_media_are_local_files(capsys):
    call_command("healthcheck")
    assert "bucket" not in capsys.readouterr().out


@pytest.mark.django_db
def test_healthz_answers_a_probe_by_ip_over_plain_http_in_production(client, settings):
    settings.ALLOWED_HOSTS = ["photos.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz", headers={"Host": "10.0.0.7:8000"}).status_code == 200
    assert client.get("/accounts/login/", headers={"Host": "10.0.0.7:8000"}).status_code == 400
