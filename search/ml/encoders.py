"""The three roles, each a thin wrapper that turns PIL images or strings into vectors or text.

Each wrapper is built from a Hugging Face model id or a local folder (`load`), and runs its whole
batch in one forward pass under `torch.inference_mode()`.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch
from PIL import Image
from transformers import (
    AutoImageProcessor,
    AutoModel,
    AutoModelForImageTextToText,
    AutoProcessor,
    AutoTokenizer,
)


def _normalised(vectors: torch.Tensor) -> np.ndarray:
    vectors = torch.nn.functional.normalize(vectors.float(), dim=-1)
    return vectors.cpu().numpy()


def _pooled(output) -> torch.Tensor:
    # transformers 5 returns a ModelOutput from get_*_features; 4.x returned the tensor itself.
    return output.pooler_output if hasattr(output, "pooler_output") else output


def int8_linear_layers(model: torch.nn.Module) -> torch.nn.Module:
    """The model, in fp32, with each Linear layer's weights in int8 and its inputs quantised on the fly.

    For the query encoders on CPU: a query is one short text, so the time is in the Linear layers'
    matrix products, which fbgemm's int8 kernels run about 2.3x faster than fp32 (and than bf16, which
    is slower than fp32 at one text a batch). The cost in quality, measured with the real MiniLM on
    Flickr8k (bench/search_quality.py), is under 0.005 of R@10 and MRR. Embeddings, layer norms and
    everything else stay fp32; stored vectors are never made this way.
    """
    # torch.ao.quantization is deprecated in favour of torchao, whose CPU kernels need torch.compile;
    # the eager API still ships (and is pinned) with torch 2.13. Its warning is for us, not the logs.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.ao\..*")
        warnings.filterwarnings("ignore", message=r".*torch\.ao\.quantization is deprecated.*")
        warnings.filterwarnings("ignore", message=r".*quantized tensor creation functions.*deprecated.*")
        # A scale per output channel, not per matrix: as fast, and far closer to the fp32 vectors.
        per_channel = {torch.nn.Linear: torch.ao.quantization.per_channel_dynamic_qconfig}
        return torch.ao.quantization.quantize_dynamic(model.float(), per_channel, dtype=torch.qint8)


class ImageTextEmbedder:
    """Images and texts into one space (CLIP, SigLIP, SigLIP 2 families): cosine compares them."""

    def __init__(self, name, model, image_processor, tokenizer):
        self.name, self.model, self.image_processor, self.tokenizer = name, model, image_processor, tokenizer
        self.device, self.dtype = model.device, model.dtype
        # SigLIP was trained on texts padded to 64 tokens; it ranks worse with shorter padding.
        self.text_padding = (
            {"padding": "max_length", "max_length": 64}
            if model.config.model_type.startswith("siglip")
            else {"padding": True}
        )

    @classmethod
    def load(cls, name, *, device, dtype, text_only=False) -> ImageTextEmbedder:
        model = AutoModel.from_pretrained(name, dtype=dtype, local_files_only=True)
        image_processor = None
        if text_only:
            # The web process embeds queries only: the vision tower would be memory for nothing.
            model.vision_model = None
        else:
            image_processor = AutoImageProcessor.from_pretrained(name, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(name, local_files_only=True)
        return cls(name, model.to(device).eval(), image_processor, tokenizer)

    def calibration(self) -> tuple[float, float]:
        """(scale, bias) of the model's own image-text logits: scale * cosine + bias, as it was trained."""
        with torch.no_grad():
            scale = float(self.model.logit_scale.exp())
            bias = float(self.model.logit_bias) if getattr(self.model, "logit_bias", None) is not None else 0.0
        return scale, bias

    def embed_images(self, images: list[Image.Image]) -> np.ndarray:
        pixels = self.image_processor(images=images, return_tensors="pt")["pixel_values"]
        with torch.inference_mode():
            output = self.model.get_image_features(pixel_values=pixels.to(self.device, self.dtype))
        return _normalised(_pooled(output))

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        tokens = self.tokenizer(texts, truncation=True, return_tensors="pt", **self.text_padding)
        inputs = _without_unseen_padding(tokens) if self.text_padding["padding"] == "max_length" else dict(tokens)
        with torch.inference_mode():
            output = self.model.get_text_features(**{k: v.to(self.device) for k, v in inputs.items()})
        return _normalised(_pooled(output))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Search queries, to compare with images: as any text (the text embedder's name for the same)."""
        return self.embed_texts(texts)


def _without_unseen_padding(tokens) -> dict[str, torch.Tensor]:
    """SigLIP's inputs cut to the positions that count: every token some text has, and the last.

    A SigLIP text is padded to 64 tokens and pooled at the last position, a pad for any shorter
    text. With an attention mask, no position attends to a pad (the last one included), so a pad
    changes nothing but its own state: the real tokens and the last position, each at its own
    position, give the same vector as all 64 (tested), for a fifth of the work on a short query.
    Without a mask every pad is attended to, and nothing is cut.
    """
    mask = tokens.get("attention_mask")
    if mask is None:
        return dict(tokens)
    kept = mask.bool().any(dim=0)
    kept[-1] = True
    if kept.all():
        return dict(tokens)
    positions = kept.nonzero().squeeze(1)
    return {
        "input_ids": tokens["input_ids"][:, positions],
        "attention_mask": mask[:, positions],
        "position_ids": positions.unsqueeze(0).expand(mask.shape[0], -1),
    }


class Describer:
    """A sentence describing each image (BLIP, GIT, Florence-2 style image-to-text models)."""

    def __init__(self, name, model, processor, max_new_tokens=30):
        self.name, self.model, self.processor, self.max_new_tokens = name, model, processor, max_new_tokens
        self.device, self.dtype = model.device, model.dtype

    @classmethod
    def load(cls, name, *, device, dtype, max_new_tokens=30) -> Describer:
        model = AutoModelForImageTextToText.from_pretrained(name, dtype=dtype, local_files_only=True)
        processor = AutoProcessor.from_pretrained(name, local_files_only=True)
        return cls(name, model.to(device).eval(), processor, max_new_tokens=max_new_tokens)

    def describe(self, images: list[Image.Image], **generate) -> list[str]:
        inputs = self.processor(images=images, return_tensors="pt")
        inputs = {
            key: value.to(self.device, self.dtype) if value.is_floating_point() else value.to(self.device)
            for key, value in inputs.items()
        }
        with torch.inference_mode():
            tokens = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, num_beams=1, **generate)
        return [text.strip() for text in self.processor.batch_decode(tokens, skip_special_tokens=True)]


class TextEmbedder:
    """Sentences into vectors (sentence-transformers style: mean of the token states, normalised)."""

    def __init__(self, name, model, tokenizer, query_prefix="", passage_prefix=""):
        self.name, self.model, self.tokenizer = name, model, tokenizer
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self.device = model.device
        self.max_length = min(getattr(tokenizer, "model_max_length", 512), 512)

    @classmethod
    def load(cls, name, *, device, dtype, query_prefix=None, passage_prefix=None) -> TextEmbedder:
        model = AutoModel.from_pretrained(name, dtype=dtype, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(name, local_files_only=True)
        # The E5 family was trained with these prefixes and retrieves worse without them.
        is_e5 = "e5" in str(name).lower()
        return cls(
            name,
            model.to(device).eval(),
            tokenizer,
            query_prefix="query: " if query_prefix is None and is_e5 else (query_prefix or ""),
            passage_prefix="passage: " if passage_prefix is None and is_e5 else (passage_prefix or ""),
        )

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embed([self.passage_prefix + text for text in texts])

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed([self.query_prefix + text for text in texts])

    def _embed(self, texts: list[str]) -> np.ndarray:
        tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        tokens = {k: v.to(self.device) for k, v in tokens.items()}
        with torch.inference_mode():
            states = self.model(**tokens).last_hidden_state
        mask = tokens["attention_mask"].unsqueeze(-1).to(states.dtype)
        return _normalised((states * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1))
