"""`download_models --if-missing`, as `make run` calls it, and the check it relies on."""

import pytest
from django.core.management import call_command

from search.ml import query_encoders
from search.ml.availability import model_path, models_missing

pytestmark = pytest.mark.django_db

FIX = ".venv/bin/python manage.py download_models"


@pytest.fixture
def default_models(settings, offline_hub):
    settings.IMAGE_TEXT_MODEL = "google/siglip2-base-patch32-256"
    settings.DESCRIPTION_MODEL = "Salesforce/blip-image-captioning-base"
    settings.TEXT_MODEL = "intfloat/multilingual-e5-small"


def test_it_says_offline_what_is_missing_and_the_one_command_then_exits_0(default_models, capsys):
    call_command("download_models", "--if-missing")  # no CommandError: `make run` goes on
    out, err = capsys.readouterr()
    assert "the Hugging Face hub cannot be reached" in out
    for model in (
        "google/siglip2-base-patch32-256",
        "Salesforce/blip-image-captioning-base",
        "intfloat/multilingual-e5-small",
    ):
        assert model in out
    assert out.count(FIX) == 1
    assert "starts without these models" in out and err == ""


def test_it_fetches_only_what_is_missing(tiny_models, offline_hub, settings, capsys):
    settings.TEXT_MODEL = "intfloat/multilingual-e5-small"
    call_command("download_models", "--if-missing")
    out = capsys.readouterr().out
    assert f"describer {tiny_models / 'blip'}: ready in {tiny_models / 'blip'}" in out
    assert "starts without these models, because the Hugging Face hub cannot be reached: " in out
    assert "text embedder intfloat/multilingual-e5-small." in out


def test_with_every_model_here_it_says_they_are_ready_and_where(tiny_models, offline_hub, capsys):
    call_command("download_models", "--if-missing")
    out = capsys.readouterr().out
    assert str(offline_hub) in out
    assert out.count(": ready in ") == 3
    assert "starts without" not in out


def test_it_exports_the_query_encoders_so_that_the_first_search_does_not_wait(
    tiny_models, offline_hub, settings, capsys, monkeypatch
):
    settings.ML_QUERY_INT8, settings.QUERY_ENCODERS_DIR = True, offline_hub.parent / "exports"
    call_command("download_models", "--if-missing")
    out = capsys.readouterr().out
    exports = sorted(path.name.split("-")[0] for path in settings.QUERY_ENCODERS_DIR.iterdir() if path.is_dir())
    assert exports == ["image_text", "text"]
    assert out.count("its query encoder (int8, ONNX Runtime)...\n  ready in ") == 2
    # Made once: a second run finds them (exporting again would raise here).
    monkeypatch.setattr(query_encoders, "_export", lambda *args: pytest.fail("exported again"))
    call_command("download_models", "--if-missing")
    assert capsys.readouterr().out.count("  ready in ") == 2


def test_a_role_turned_off_is_not_fetched(tiny_models, offline_hub, settings, capsys):
    settings.DESCRIPTION_MODEL = ""
    call_command("download_models", "--if-missing")
    assert "describer" not in capsys.readouterr().out


def test_a_model_is_here_as_a_local_folder(tiny_models):
    assert model_path(str(tiny_models / "clip")) == tiny_models / "clip"
    assert models_missing() == []


def test_a_model_is_missing_when_the_cache_does_not_hold_it_or_its_folder_is_gone(offline_hub, tmp_path):
    assert model_path("intfloat/multilingual-e5-small") is None
    assert model_path(str(tmp_path / "gone")) is None


def test_the_missing_models_are_named_by_role(default_models, settings, tiny_models):
    settings.IMAGE_TEXT_MODEL = str(tiny_models / "clip")
    assert [str(model) for model in models_missing()] == [
        "describer Salesforce/blip-image-captioning-base",
        "text embedder intfloat/multilingual-e5-small",
    ]


@pytest.fixture
def hub(offline_hub, monkeypatch):
    """A fake hub holding one small model, reachable: huggingface_hub talks to it as to huggingface.co."""
    from huggingface_hub import constants

    from search.tests.fake_hub import FakeHub

    repo = {"config.json": b'{"model_type": "bert"}', "model.safetensors": bytes(range(256)) * 4096}
    with FakeHub({"acme/tiny-model": repo}) as fake:
        monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
        monkeypatch.setattr(constants, "ENDPOINT", fake.url)
        monkeypatch.setattr(
            constants, "HUGGINGFACE_CO_URL_TEMPLATE", fake.url + "/{repo_id}/resolve/{revision}/{filename}"
        )
        yield fake


def test_online_it_fetches_a_missing_model_into_the_cache_and_says_where(
    hub, offline_hub, tiny_models, settings, capsys
):
    settings.TEXT_MODEL = "acme/tiny-model"
    call_command("download_models", "--if-missing")
    out = capsys.readouterr().out
    snapshot = model_path("acme/tiny-model")
    assert snapshot.parent.parent == offline_hub / "models--acme--tiny-model"
    assert f"text embedder acme/tiny-model: fetching from the Hugging Face hub...\n  ready in {snapshot}" in out
    assert (snapshot / "model.safetensors").stat().st_size == 256 * 4096
    assert "starts without" not in out


def test_an_interrupted_download_goes_on_from_the_files_it_had(hub, tiny_models, settings):
    settings.TEXT_MODEL = "acme/tiny-model"
    call_command("download_models", "--if-missing")
    weights = model_path("acme/tiny-model") / "model.safetensors"
    weights.resolve().unlink()  # as if stopped before the weights were whole: no blob, no link
    weights.unlink()
    assert models_missing()
    call_command("download_models", "--if-missing")
    assert models_missing() == []
    assert hub.downloads == {("acme/tiny-model", "config.json"): 1, ("acme/tiny-model", "model.safetensors"): 2}


def test_a_model_already_here_is_not_fetched_again(hub, tiny_models, settings):
    settings.TEXT_MODEL = "acme/tiny-model"
    call_command("download_models", "--if-missing")
    call_command("download_models", "--if-missing")
    assert sum(hub.downloads.values()) == 2
