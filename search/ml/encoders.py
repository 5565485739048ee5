"""The three roles, each a thin wrapper that turns PIL images or strings into vectors or text.

Each wrapper is built from a Hugging Face model id or a local folder (`load`), and runs its whole
batch in one forward pass under `torch.inference_mode()`.
"""

from __future__ import annotations

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

from search.ml.texts import seen_positions, text_padding, text_prefixes


def _normalised(vectors: torch.Tensor) -> np.ndarray:
    vectors = torch.nn.functional.normalize(vectors.float(), dim=-1)
    return vectors.cpu().numpy()


def pooled(output) -> torch.Tensor:
    # transformers 5 returns a ModelOutput from get_*_features; 4.x returned the tensor itself.
    return output.pooler_output if hasattr(output, "pooler_output") else output


class ImageTextEmbedder:
    """Images and texts into one space (CLIP, SigLIP, SigLIP 2 families): cosine compares them."""

    own_threads = False  # torch's: the calling thread's count (runtime.query_threads)

    def __init__(self, name, model, image_processor, tokenizer):
        self.name, self.model, self.image_processor, self.tokenizer = name, model, image_processor, tokenizer
        self.device, self.dtype = model.device, model.dtype
        self.text_padding = text_padding(model.config.model_type)

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
        return _normalised(pooled(output))

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        tokens = self.tokenizer(texts, truncation=True, return_tensors="pt", **self.text_padding)
        inputs = _without_unseen_padding(tokens) if self.text_padding["padding"] == "max_length" else dict(tokens)
        with torch.inference_mode():
            output = self.model.get_text_features(**{k: v.to(self.device) for k, v in inputs.items()})
        return _normalised(pooled(output))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Search queries, to compare with images: as any text (the text embedder's name for the same)."""
        return self.embed_texts(texts)


def _without_unseen_padding(tokens) -> dict[str, torch.Tensor]:
    """SigLIP's inputs cut to the positions that count (seen_positions), each at its own position."""
    mask = tokens.get("attention_mask")
    kept = None if mask is None else seen_positions(mask.numpy())
    if kept is None:
        return dict(tokens)
    positions = torch.from_numpy(kept)
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

    own_threads = False

    def __init__(self, name, model, tokenizer, query_prefix="", passage_prefix=""):
        self.name, self.model, self.tokenizer = name, model, tokenizer
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix
        self.device = model.device
        self.max_length = min(getattr(tokenizer, "model_max_length", 512), 512)

    @classmethod
    def load(cls, name, *, device, dtype, query_prefix=None, passage_prefix=None) -> TextEmbedder:
        model = AutoModel.from_pretrained(name, dtype=dtype, local_files_only=True)
        tokenizer = AutoTokenizer.from_pretrained(name, local_files_only=True)
        return cls(name, model.to(device).eval(), tokenizer, *text_prefixes(name, query_prefix, passage_prefix))

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
