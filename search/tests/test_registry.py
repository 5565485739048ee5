from pathlib import Path

import numpy as np
import pytest
import torch

from search.ml import registry, runtime
from search.ml.errors import ModelUnavailable


def test_a_query_encoder_leaves_the_vision_tower_out_and_embeds_text_like_the_full_model():
    full = registry.get("image_text")
    text_only = registry.get("image_text", text_only=True)
    assert text_only.model.vision_model is None and full.model.vision_model is not None
    texts = ["chien sur la plage", "red boat at sunset"]
    assert np.allclose(text_only.embed_texts(texts), full.embed_texts(texts), atol=1e-5)


def test_a_model_that_is_not_on_disk_is_reported_by_name(settings):
    settings.TEXT_MODEL = "intfloat/not-on-this-machine"
    with pytest.raises(ModelUnavailable, match=r"'intfloat/not-on-this-machine'.*download_models"):
        registry.get("text")


@pytest.mark.parametrize(("setting", "expected"), [("fp32", torch.float32), ("bf16", torch.bfloat16)])
def test_the_dtype_setting_overrides_the_automatic_choice(settings, setting, expected):
    settings.ML_DTYPE = setting
    assert runtime.dtype(torch.device("cpu")) is expected


def test_the_automatic_dtype_on_cpu_is_bf16_only_where_the_cpu_has_bf16_units(settings):
    settings.ML_DTYPE = "auto"
    flags = Path("/proc/cpuinfo").read_text()
    native = "avx512_bf16" in flags or "amx_bf16" in flags
    assert runtime.dtype(torch.device("cpu")) is (torch.bfloat16 if native else torch.float32)


def test_a_bf16_model_gives_vectors_close_to_fp32(settings):
    settings.ML_DTYPE = "bf16"
    registry.forget()
    bf16 = registry.get("text").embed_passages(["a dog on the beach"])
    settings.ML_DTYPE = "fp32"
    registry.forget()
    fp32 = registry.get("text").embed_passages(["a dog on the beach"])
    assert float(bf16[0] @ fp32[0]) > 0.99
