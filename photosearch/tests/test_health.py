import pytest
from django.core.management import CommandError, call_command


@pytest.mark.django_db
def test_healthz_answers_without_login_when_everything_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": True, "redis": True}


@pytest.mark.django_db
def test_healthz_says_503_when_redis_does_not_answer(client, settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": True, "redis": False}


def test_the_healthcheck_command_names_the_queue_with_no_worker(transactional_db, capsys):
    with pytest.raises(CommandError):
        call_command("healthcheck", "--workers", "--timeout", "1")
    out = capsys.readouterr().out
    assert "database: ok" in out
    assert "queue scrape: NOT ANSWERING" in out
