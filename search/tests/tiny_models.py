"""Randomly initialised models of each role, built from configs into a folder (no download).

By default they are tiny: the architectures of the real ones (CLIP and SigLIP for image-text, BLIP for
descriptions, BERT for text) at a few hundred kilobytes, and vectors of the configured sizes, so they go
through the same loading, batching and storing code. Their outputs mean nothing: tests check shapes and
plumbing, and use the real all-MiniLM-L6-v2 where meaning matters.

The size is a parameter: `words` (the vocabulary) and the `text` and `vision` configs of each tower
(an empty config is the architecture's own default size). bench/indexing.py builds the same models at
the default models' real shapes, where speed, which depends on shape only, is what is measured.
"""

import json
import string
from pathlib import Path

import torch
from transformers import (
    BertConfig,
    BertModel,
    BertTokenizer,
    BlipConfig,
    BlipForConditionalGeneration,
    BlipImageProcessor,
    BlipProcessor,
    BlipVisionConfig,
    CLIPConfig,
    CLIPImageProcessor,
    CLIPModel,
    CLIPProcessor,
    CLIPTokenizer,
    CLIPVisionConfig,
    SiglipConfig,
    SiglipImageProcessor,
    SiglipModel,
    SiglipVisionConfig,
)

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]", "[ENC]"]
WORDS = [*SPECIALS, *string.ascii_lowercase, *string.digits]
WORDS += ["a", "the", "dog", "beach", "boat", "red", "sunset", "of", "on", "in", "cat", "sea", "##s", "##ing"]
# The tiny size of a tower; a vision tower's also says its images' side.
TINY = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4}
TINY_VISION = TINY | {"image_size": 32, "patch_size": 8}


def vocabulary(size: int, words: list[str]) -> list[str]:
    """A BERT vocabulary of `size` tokens: the special ones, then `words`, then made-up ones (w0, w1, ...)."""
    return ([*SPECIALS, *words] + [f"w{i}" for i in range(size)])[:size]


def _byte_to_unicode():  # GPT-2/CLIP's byte table: every byte has a token, so any language tokenizes
    codes = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    chars, extra = codes[:], 0
    for byte in range(256):
        if byte not in codes:
            codes.append(byte)
            chars.append(256 + extra)
            extra += 1
    return [chr(c) for c in chars]


def _square(side: int) -> dict[str, int]:
    return {"height": side, "width": side}


def _bert_tokenizer(folder: Path, words: list[str], **kwargs) -> BertTokenizer:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    return BertTokenizer.from_pretrained(folder, **kwargs)


def build_clip(folder: Path, *, dimensions: int, seed: int = 0, text: dict = TINY, vision: dict = TINY_VISION) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in _byte_to_unicode():
        vocab.setdefault(char, len(vocab))
        vocab.setdefault(char + "</w>", len(vocab))
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer.from_pretrained(folder)
    side = CLIPVisionConfig(**vision).image_size
    image_processor = CLIPImageProcessor(size={"shortest_edge": side}, crop_size=_square(side))
    CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)
    config = CLIPConfig(
        text_config=text | {
            "vocab_size": len(vocab), "max_position_embeddings": 77, "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id, "pad_token_id": tokenizer.pad_token_id,
        },
        vision_config=vision,
        projection_dim=dimensions,
    )  # fmt: skip
    torch.manual_seed(seed)
    CLIPModel(config).eval().save_pretrained(folder)
    return folder


def build_siglip(
    folder: Path,
    *,
    dimensions: int | None = None,
    seed: int = 0,
    words: list[str] = WORDS,
    text: dict = TINY,
    vision: dict = TINY_VISION,
) -> Path:
    """SigLIP's architecture (texts padded to 64 tokens, pooled at the last position), with a BERT vocabulary.

    dimensions: both towers' width, their vectors' size (None: the configs' own).
    """
    tokenizer = _bert_tokenizer(folder, words)
    tokenizer.save_pretrained(folder)
    SiglipImageProcessor(size=_square(SiglipVisionConfig(**vision).image_size)).save_pretrained(folder)
    width = {"hidden_size": dimensions} if dimensions else {}
    config = SiglipConfig(
        text_config=text | width | {
            "vocab_size": len(words), "max_position_embeddings": 64, "pad_token_id": tokenizer.pad_token_id,
        },
        vision_config=vision | width,
    )  # fmt: skip
    torch.manual_seed(seed)
    SiglipModel(config).eval().save_pretrained(folder)
    return folder


def build_blip(
    folder: Path,
    *,
    seed: int = 0,
    words: list[str] = WORDS,
    text: dict = TINY | {"max_position_embeddings": 64},
    vision: dict = TINY_VISION,
) -> Path:
    """BLIP's captioning architecture; its text decoder attends to the vision tower's width."""
    tokenizer = _bert_tokenizer(folder, words, bos_token="[DEC]", additional_special_tokens=["[ENC]"])
    vision_tower = BlipVisionConfig(**vision)
    image_processor = BlipImageProcessor(size=_square(vision_tower.image_size))
    BlipProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)
    config = BlipConfig(
        vision_config=vision,
        text_config=text | {
            "vocab_size": len(words), "encoder_hidden_size": vision_tower.hidden_size,
            "bos_token_id": tokenizer.convert_tokens_to_ids("[DEC]"), "sep_token_id": tokenizer.sep_token_id,
            "pad_token_id": tokenizer.pad_token_id,
        },
    )  # fmt: skip
    torch.manual_seed(seed)
    BlipForConditionalGeneration(config).eval().save_pretrained(folder)
    return folder


def build_text_embedder(
    folder: Path,
    *,
    dimensions: int | None = None,
    seed: int = 0,
    words: list[str] = WORDS,
    text: dict = TINY | {"num_hidden_layers": 1, "max_position_embeddings": 128},
) -> Path:
    """A BERT encoder; dimensions: its width, its vectors' size (None: the config's own)."""
    tokenizer = _bert_tokenizer(folder, words)
    tokenizer.save_pretrained(folder)
    width = {"hidden_size": dimensions} if dimensions else {}
    config = BertConfig(**text | width | {"vocab_size": len(words)})
    torch.manual_seed(seed)
    BertModel(config).eval().save_pretrained(folder)
    return folder
