"""The warm start: a web process loads what a first search needs as it starts, in the background."""

import pytest
from django.core.cache import cache
from django.core.management import get_commands, load_command_class

from photosearch import gunicorn
from profiles.models import InstagramProfile, Tracking
from profiles.tests.factories import make_photo, make_post, make_profile
from search import query, warmup
from search.indexing import photos_index
from search.ml import registry
from search.services import photos_search
from search.vectors import PROFILE_PHOTOS_KEY


@pytest.fixture
def library(db, django_user_model, tiny_models):
    """Bea tracks @skipper, whose photo is indexed by the tiny models; nothing is loaded in this process yet."""
    bea = django_user_model.objects.create_user("bea")
    skipper = make_profile("skipper")
    Tracking.objects.create(user=bea, profile=skipper)
    photos_index(photo_ids=[make_photo(post=make_post(profile=skipper, shortcode="Boat")).pk])
    registry.forget()
    cache.clear()
    return bea


def test_after_the_warm_up_a_first_search_loads_and_measures_nothing(library, monkeypatch):
    parts = warmup.warm_up()
    assert set(parts) == {"image_text", "text", "word_statistics"}
    assert cache.get(PROFILE_PHOTOS_KEY) == {InstagramProfile.objects.get(username="skipper").pk: 1}

    def load(*args, **kwargs):
        raise AssertionError("the first search loaded a model")

    monkeypatch.setattr(registry, "_load", load)
    # The floor and the calibration are in the cache now, for every process: nothing left to measure.
    monkeypatch.setattr(query, "UNRELATED", None)
    result = photos_search(user=library, query="a boat at sea")
    assert [hit.post.shortcode for hit in result.hits] == ["Boat"]
    assert not result.missing_models


def test_a_model_not_on_this_machine_is_skipped_and_searches_go_on_without_it(library, settings, offline_hub):
    settings.IMAGE_TEXT_MODEL = "google/siglip-not-downloaded"
    assert set(warmup.warm_up()) == {"text", "word_statistics"}
    assert not any(role == "image_text" for role, _, _ in registry._loaded)


def test_web_processes_warm_up_in_the_background_as_they_start(library, settings):
    warmup.warm.clear()
    thread = warmup.warm_up_in_background()
    assert thread.daemon  # the health check and the pages are served meanwhile
    thread.join(timeout=60)
    assert warmup.warm.is_set()
    assert {role for role, _, _ in registry._loaded} == {"image_text", "text"}


def test_with_warm_start_off_a_process_loads_nothing_until_its_first_search(library, settings):
    settings.WARM_START = False
    assert warmup.warm_up_in_background() is None
    assert gunicorn.post_worker_init(worker=None) is None
    assert not registry._loaded


def test_make_run_and_gunicorn_both_start_the_warm_up(monkeypatch):
    from photosearch.management.commands import runserver

    started = []
    monkeypatch.setattr(gunicorn, "warm_up_in_background", lambda: started.append("gunicorn"))
    monkeypatch.setattr(runserver, "warm_up_in_background", lambda: started.append("runserver"))
    gunicorn.post_worker_init(worker=None)
    # `make run` serves with runserver: ours, wrapping WhiteNoise's (static files served as in production).
    assert get_commands()["runserver"] == "photosearch"
    command = load_command_class("photosearch", "runserver")
    assert command.create_parser("manage.py", "runserver").get_default("use_static_handler") is False
    monkeypatch.setattr(runserver.WhiteNoiseRunserver, "inner_run", lambda self, **options: started.append("serve"))
    command.inner_run()
    assert started == ["gunicorn", "runserver", "serve"]  # warming up starts before the server serves
