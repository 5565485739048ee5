"""The query encoders on CPU: each model's text side exported to ONNX once, its weights in int8, run by ONNX Runtime.

A query is one short text, so its cost is the text tower's matrix products and the framework's
overhead per operation, both of which ONNX Runtime's int8 kernels cut. Measured on one query with
bench/search_latency.py's models (SigLIP 2 base's text tower, multilingual-e5-small's shape):

                      torch, int8 Linear layers    ONNX Runtime, int8
    SigLIP 2 text     17.5 ms (2 threads)          11.0 ms (2 threads; 8.4 ms if idle threads spin)
    e5-small          13.0 ms (1 thread)           3.4 ms (1 thread)

Every MatMul's weights are int8 with a scale per output channel, and so is the embedding table
(SigLIP 2's 256,000-token vocabulary: 283 MB a process instead of 873 MB in fp32). The quality this
costs, measured with the real MiniLM on Flickr8k (bench/search_quality.py), is within 0.005 of
R@10 and MRR. Stored vectors are never made this way: the ml worker runs the full models.

An export is made once per model (and per version of torch and ONNX Runtime), the first time a
process needs it (or ahead of time by `manage.py download_models`), under a lock so that the
web processes of a machine make it once: QUERY_ENCODERS_DIR/<role>-<name's hash>-<files' hash>/.
Making it takes torch and about a minute for SigLIP 2; loading it takes a second. A model that
cannot be exported (ExportFailed: an architecture the exporter does not know, say) has its
queries encoded by the full-precision torch model instead, with a warning in the log.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import platform
import re
import shutil
import time
from pathlib import Path

import numpy as np
from django.conf import settings

from search.ml.texts import seen_positions, text_padding, text_prefixes

log = logging.getLogger(__name__)

FORMAT = 1  # what an export holds; bump it when that changes, and every export is made again


class ExportFailed(Exception):
    """This model's text side cannot be exported or quantised; its queries run in torch instead."""


def load(role: str, name: str, source: Path, *, threads: int) -> ImageTextQueries | TextQueries:
    """The query encoder of a role's model (its files in `source`), exported first if it is not yet."""
    import onnxruntime
    from transformers import AutoTokenizer

    try:
        folder = prepared(role, name, source)
        meta = json.loads((folder / "meta.json").read_text())
    except OSError as exc:  # a data folder that cannot be written, say
        raise ExportFailed(f"{folder_root()}: {exc.strerror or exc}") from exc
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle pool threads sleep rather than spin: under load, many requests share the cores, and
    # spinning threads would take them from the ones with work to do.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    try:
        session = onnxruntime.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # a damaged file: made again by the next process that needs it
        shutil.rmtree(folder, ignore_errors=True)
        raise ExportFailed(f"{folder / 'model.onnx'} cannot be read: {exc}") from exc
    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
    if role == "image_text":
        return ImageTextQueries(name, tokenizer, session, meta)
    prefixes = text_prefixes(name, settings.TEXT_QUERY_PREFIX, settings.TEXT_PASSAGE_PREFIX)
    return TextQueries(name, tokenizer, session, *prefixes)


class ImageTextQueries:
    """The image-text model's text side: texts to compare with the stored image vectors."""

    own_threads = True  # ONNX Runtime's pool, sized at load

    def __init__(self, name, tokenizer, session, meta):
        self.name, self.tokenizer, self.session, self.meta = name, tokenizer, session, meta

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        tokens = self.tokenizer(texts, truncation=True, return_tensors="np", **text_padding(self.meta["model_type"]))
        ids = tokens["input_ids"].astype(np.int64)
        # No mask from the tokenizer: every position is attended to, as all ones says.
        mask = tokens.get("attention_mask", np.ones_like(ids)).astype(np.int64)
        positions = np.arange(ids.shape[1])
        if "attention_mask" in tokens and (kept := seen_positions(mask)) is not None:
            ids, mask, positions = ids[:, kept], mask[:, kept], kept
        feed = {"input_ids": ids, "attention_mask": mask, "position_ids": np.broadcast_to(positions, ids.shape).copy()}
        return _normalised(self.session.run(None, feed)[0])

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.embed_texts(texts)

    def calibration(self) -> tuple[float, float]:
        scale, bias = self.meta["calibration"]
        return scale, bias


class TextQueries:
    """The text embedder: queries (and, for search's floor, passages) as the ml worker's model makes them."""

    own_threads = True

    def __init__(self, name, tokenizer, session, query_prefix="", passage_prefix=""):
        self.name, self.tokenizer, self.session = name, tokenizer, session
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self.max_length = min(getattr(tokenizer, "model_max_length", 512), 512)  # as encoders.TextEmbedder

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed([self.query_prefix + text for text in texts])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed([self.passage_prefix + text for text in texts])

    def _embed(self, texts: list[str]) -> np.ndarray:
        tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="np")
        feed = {name: tokens[name].astype(np.int64) for name in ("input_ids", "attention_mask")}
        return _normalised(self.session.run(None, feed)[0])


def _normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def folder_root() -> Path:
    return Path(settings.QUERY_ENCODERS_DIR)


def prepared(role: str, name: str, source: Path) -> Path:
    """The folder of this model's export, made now (under a lock that other processes wait on) if it is not there."""
    root = folder_root()
    family = f"{role}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    folder = root / f"{family}-{_digest(source)}"
    if (folder / "meta.json").exists():
        return folder
    root.mkdir(parents=True, exist_ok=True)
    with open(root / f"{folder.name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process exporting it: wait, then use its export
        if not (folder / "meta.json").exists():
            _export(role, name, source, folder)
            # Exports of this model's earlier files (or of older versions of torch, ONNX Runtime) are of no use now.
            for stale in root.glob(f"{family}-*"):
                if stale.is_dir() and stale != folder:
                    shutil.rmtree(stale, ignore_errors=True)
                    (root / f"{stale.name}.lock").unlink(missing_ok=True)
    return folder


def _digest(source: Path) -> str:
    """What an export depends on: the model's files (sizes and times), torch, ONNX Runtime, FORMAT and the CPU."""
    import onnxruntime
    import torch

    # The CPU's kind too: an export quantised for a CPU without VNNI is not the one a VNNI CPU wants.
    parts = [str(FORMAT), torch.__version__, onnxruntime.__version__, str(source.resolve()), str(_saturating_cpu())]
    for path in sorted(source.iterdir()):
        if path.is_file():
            stat = path.stat()
            parts.append(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _export(role: str, name: str, source: Path, folder: Path) -> None:
    """Export the text side to ONNX in fp32, quantise it to int8, and write what loading it needs."""
    started = time.perf_counter()
    work = folder.with_name(f".{folder.name}.{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        graph, inputs, meta = _graph(role, name, source)
        _to_onnx(graph, inputs, work / "fp32.onnx")
        _quantised(work / "fp32.onnx", work / "model.onnx")
        (work / "fp32.onnx").unlink()
        (work / "meta.json").write_text(json.dumps(meta | {"format": FORMAT, "model": name}))
        with contextlib.suppress(FileNotFoundError):
            shutil.rmtree(folder)  # an export cut short (no meta.json) by a process that died
        work.rename(folder)
    except Exception as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise ExportFailed(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}") from exc
    log.info("Exported the %s query encoder of %s to ONNX (int8) in %.1fs", role, name, time.perf_counter() - started)


def _graph(role: str, name: str, source: Path):
    """The module to export, example inputs (a padded batch, so that the mask is part of the graph), and meta."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from search.ml.encoders import ImageTextEmbedder, pooled

    # Eager attention: a plain graph of MatMuls and Softmax, which the exporter and quantiser both know.
    model = AutoModel.from_pretrained(source, dtype=torch.float32, local_files_only=True, attn_implementation="eager")
    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
    texts = ["a dog", "a red boat at sunset on a calm sea"]
    if role == "image_text":
        calibration = ImageTextEmbedder(name, model, None, tokenizer).calibration()
        model.vision_model = None

        class TextSide(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, input_ids, attention_mask, position_ids):
                features = self.model.get_text_features(
                    input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids
                )
                return pooled(features)

        tokens = tokenizer(texts, padding=True, return_tensors="pt")
        ids = tokens["input_ids"]
        example = {
            "input_ids": ids,
            "attention_mask": tokens.get("attention_mask", torch.ones_like(ids)),
            "position_ids": torch.arange(ids.shape[1]).expand(ids.shape[0], -1).contiguous(),
        }
        return TextSide().eval(), example, {"model_type": model.config.model_type, "calibration": list(calibration)}

    class MeanOfStates(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            states = self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(states.dtype)
            return (states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)

    tokens = tokenizer(texts, padding=True, return_tensors="pt")
    example = {"input_ids": tokens["input_ids"], "attention_mask": tokens["attention_mask"]}
    return MeanOfStates().eval(), example, {}


def _to_onnx(graph, inputs: dict, path: Path) -> None:
    import warnings

    import torch

    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        # The TorchScript exporter: the torch.export one needs onnxscript, and these graphs are plain.
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        # Its note on indexing with negative indices: these graphs index with argmax and arange only.
        warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.onnx\..*")
        torch.onnx.export(
            graph,
            tuple(inputs.values()),
            str(path),
            input_names=list(inputs),
            output_names=["vectors"],
            dynamic_axes={name: {0: "texts", 1: "tokens"} for name in inputs} | {"vectors": {0: "texts"}},
            opset_version=17,
            dynamo=False,
        )


def _quantised(source: Path, target: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Its hint to pre-process the model first is logged on the root logger itself, and is not for us.
    root = logging.getLogger()
    root.addFilter(_not_a_hint)
    try:
        quantize_dynamic(
            str(source), str(target), weight_type=QuantType.QInt8, per_channel=True, reduce_range=_saturating_cpu()
        )
    finally:
        root.removeFilter(_not_a_hint)


def _saturating_cpu(cpuinfo: Path = Path("/proc/cpuinfo"), machine: str = "") -> bool:
    """Whether this CPU multiplies int8 without VNNI (an x86 with AVX2 alone, such as AMD EPYC before Zen 4).

    There, ONNX Runtime's int8 products are summed in 16 bits and saturate: with full 8-bit weights, a tiny
    SigLIP's query vectors came out at cosine 0.92 from the full model's. Weights quantised to 7 bits
    (ONNX Runtime's reduce_range) cannot saturate: 0.99 and above there, as with 8 bits on a VNNI CPU.
    """
    if (machine or platform.machine()).lower() not in ("x86_64", "amd64", "i386", "i686"):
        return False  # ARM's int8 dot products do not saturate
    try:
        flags = cpuinfo.read_text()
    except OSError:
        return True  # cannot tell: 7 bits are right everywhere
    return not re.search(r"\b(avx512_vnni|avx_vnni|amx_int8)\b", flags)


def _not_a_hint(record: logging.LogRecord) -> bool:
    return "pre-processing before quantization" not in record.getMessage()
