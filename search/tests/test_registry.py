import logging
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from search.ml import encoders, query_encoders, registry, runtime
from search.ml.errors import ModelUnavailable
from search.tests.tiny_models import build_siglip


def test_a_query_encoder_leaves_the_vision_tower_out_and_embeds_text_like_the_full_model(settings):
    settings.ML_QUERY_INT8 = False
    full = registry.get("image_text")
    for_queries = registry.get("image_text", for_queries=True)
    assert for_queries.model.vision_model is None and full.model.vision_model is not None
    texts = ["chien sur la plage", "red boat at sunset"]
    assert np.allclose(for_queries.embed_queries(texts), full.embed_texts(texts), atol=1e-5)


def test_a_siglip_text_cut_to_the_positions_that_count_embeds_exactly_as_padded_to_64(tmp_path):
    model = encoders.ImageTextEmbedder.load(
        build_siglip(tmp_path / "siglip", dimensions=32), device=torch.device("cpu"), dtype=torch.float32
    )
    texts = ["chien", "a red boat at sunset on a calm sea, two people waving from the deck"]
    tokens = model.tokenizer(texts, truncation=True, return_tensors="pt", **model.text_padding)
    assert tokens["input_ids"].shape[1] == 64 and "attention_mask" in tokens
    with torch.inference_mode():
        padded = torch.nn.functional.normalize(model.model.get_text_features(**tokens).pooler_output, dim=-1)
    cut = encoders._without_unseen_padding(tokens)
    assert cut["input_ids"].shape[1] < 20 and cut["position_ids"][0, -1] == 63
    assert np.allclose(model.embed_texts(texts), padded.numpy(), atol=1e-5)
    assert np.allclose(model.embed_texts(texts[:1]), padded.numpy()[:1], atol=1e-5)  # alone, as a query is


TEXTS = ["chien sur la plage", "red boat at sunset", "a", "two children playing football in a park after school"]


def test_query_encoders_on_cpu_run_an_int8_onnx_export_and_embed_close_to_the_full_model(settings):
    settings.ML_QUERY_INT8 = True
    for role in ("image_text", "text"):
        full, for_queries = registry.get(role), registry.get(role, for_queries=True)
        assert isinstance(for_queries, (query_encoders.ImageTextQueries, query_encoders.TextQueries))
        expected = full.embed_texts(TEXTS) if role == "image_text" else full.embed_queries(TEXTS)
        # A batch of texts of different lengths (padded, masked: a mask traced wrong would be far off), and
        # each alone, as a query is (activations are quantised per batch, so the two differ a little).
        together = for_queries.embed_queries(TEXTS)
        alone = np.concatenate([for_queries.embed_queries([text]) for text in TEXTS])
        for vectors in (together, alone):
            cosines = np.sum(vectors * expected, axis=1)
            assert cosines.min() > 0.98, (role, cosines)
    assert registry.get("image_text", for_queries=True).calibration() == registry.get("image_text").calibration()


def test_a_siglip_query_encoder_cuts_the_padding_and_embeds_as_the_full_model(settings, tmp_path):
    settings.IMAGE_TEXT_MODEL = str(build_siglip(tmp_path / "siglip", dimensions=32))
    settings.ML_QUERY_INT8 = True
    full, for_queries = registry.get("image_text"), registry.get("image_text", for_queries=True)
    assert isinstance(for_queries, query_encoders.ImageTextQueries)
    cosines = np.sum(for_queries.embed_queries(TEXTS) * full.embed_texts(TEXTS), axis=1)
    assert cosines.min() > 0.98, cosines
    alone = np.sum(for_queries.embed_queries(TEXTS[:1]) * full.embed_texts(TEXTS[:1]), axis=1)
    assert alone.min() > 0.98, alone


def test_an_export_is_made_once_and_made_again_when_the_model_changes(settings, tmp_model_copy, tmp_path, monkeypatch):
    settings.ML_QUERY_INT8, settings.QUERY_ENCODERS_DIR = True, tmp_path / "exports"
    settings.TEXT_MODEL = str(tmp_model_copy)
    first = registry.get("text", for_queries=True).embed_queries(TEXTS)
    [folder] = [each for each in Path(settings.QUERY_ENCODERS_DIR).glob("text-*") if each.is_dir()]
    registry.forget()

    def no_second_export(*args):
        raise AssertionError("exported again")

    with monkeypatch.context() as patch:
        patch.setattr(query_encoders, "_export", no_second_export)
        assert np.allclose(registry.get("text", for_queries=True).embed_queries(TEXTS), first)
    # New weights in the model's folder (a fine-tune copied over it): a new export, the old one removed.
    registry.forget()
    weights = tmp_model_copy / "model.safetensors"
    weights.write_bytes(weights.read_bytes())
    registry.get("text", for_queries=True)
    [new_folder] = [each for each in Path(settings.QUERY_ENCODERS_DIR).glob("text-*") if each.is_dir()]
    assert new_folder != folder and not folder.exists()


def test_a_model_that_cannot_be_exported_has_its_queries_encoded_in_full_precision(
    settings, tmp_path, monkeypatch, caplog
):
    settings.ML_QUERY_INT8, settings.QUERY_ENCODERS_DIR = True, tmp_path / "exports"

    def refuse(module, inputs, path):
        raise RuntimeError("Exporting the operator 'aten::something' to ONNX opset version 17 is not supported.")

    monkeypatch.setattr(query_encoders, "_to_onnx", refuse)
    with caplog.at_level(logging.WARNING, logger=registry.log.name):  # whatever level an earlier test left
        for_queries = registry.get("text", for_queries=True)
    assert not isinstance(for_queries, query_encoders.TextQueries)
    assert np.allclose(for_queries.embed_queries(TEXTS), registry.get("text").embed_queries(TEXTS), atol=1e-5)
    assert "run in full precision" in caplog.text and "aten::something" in caplog.text
    assert not [each for each in Path(settings.QUERY_ENCODERS_DIR).iterdir() if each.is_dir()]  # nothing half-made


@pytest.fixture
def tmp_model_copy(tiny_model_dir, tmp_path):
    """A copy of the tiny text model, to change."""
    return Path(shutil.copytree(tiny_model_dir / "text", tmp_path / "text-model"))


def test_the_int8_text_encoder_ranks_passages_as_the_full_one_does(minilm, settings):
    # Real semantics (all-MiniLM-L6-v2): queries in int8 against passages stored in full precision.
    settings.ML_QUERY_INT8 = True
    passages = ["a dog running on the beach", "a red boat at sunset", "a plate of pasta", "snow on the mountains"]
    stored = registry.get("text").embed_passages(passages)
    queries = ["puppy playing by the sea", "sailing ship in the evening", "spaghetti dinner", "snowy peaks"]
    full = registry.get("text").embed_queries(queries) @ stored.T
    int8 = registry.get("text", for_queries=True).embed_queries(queries) @ stored.T
    assert list(int8.argmax(axis=1)) == list(full.argmax(axis=1)) == [0, 1, 2, 3]
    assert np.abs(int8 - full).max() < 0.05  # per-channel int8: 0.04 at most on these


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


def test_a_query_encodes_on_every_core_alone_and_on_one_beside_another(settings, tmp_path, monkeypatch):
    settings.ML_THREADS, settings.DATA_DIR = 2, tmp_path
    monkeypatch.setattr(runtime, "_query_cores_file", None)  # the lease file of this test's data folder
    take_lease = "import fcntl, sys; fcntl.flock(open(sys.argv[1], 'a'), fcntl.LOCK_EX | fcntl.LOCK_NB)"
    before = torch.get_num_threads()
    beside = []
    with runtime.query_threads() as alone:
        assert alone == 2 and torch.get_num_threads() == 2

        def another_request():
            with runtime.query_threads() as threads:
                beside.append((threads, torch.get_num_threads()))

        thread = threading.Thread(target=another_request)
        thread.start()
        thread.join()
        # Another web process of the machine cannot take the lease either.
        other_process = subprocess.run(
            [sys.executable, "-c", take_lease, str(tmp_path / "query-cores.lock")], capture_output=True, text=True
        )
        assert other_process.returncode != 0 and "BlockingIOError" in other_process.stderr
    assert beside == [(1, 1)]
    assert torch.get_num_threads() == before  # a worker's indexing keeps its own count
    with runtime.query_threads() as again:  # the lease was given back
        assert again == 2
