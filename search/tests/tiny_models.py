"""Tiny randomly initialised models of each role, built from configs into a folder (no download).

They have the architectures of the real ones (CLIP and SigLIP for image-text, BLIP for descriptions,
BERT for text) at a few hundred kilobytes, and vectors of the configured sizes, so they go through the same
loading, batching and storing code. Their outputs mean nothing: tests check shapes and plumbing,
and use the real all-MiniLM-L6-v2 where meaning matters.
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
    CLIPConfig,
    CLIPImageProcessor,
    CLIPModel,
    CLIPProcessor,
    CLIPTokenizer,
    SiglipConfig,
    SiglipImageProcessor,
    SiglipModel,
)

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]", "[ENC]", *string.ascii_lowercase, *string.digits]
WORDS += ["a", "the", "dog", "beach", "boat", "red", "sunset", "of", "on", "in", "cat", "sea", "##s", "##ing"]


def _byte_to_unicode():  # GPT-2/CLIP's byte table: every byte has a token, so any language tokenizes
    codes = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    chars, extra = codes[:], 0
    for byte in range(256):
        if byte not in codes:
            codes.append(byte)
            chars.append(256 + extra)
            extra += 1
    return [chr(c) for c in chars]


def build_clip(folder: Path, *, dimensions: int, seed: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for char in _byte_to_unicode():
        vocab.setdefault(char, len(vocab))
        vocab.setdefault(char + "</w>", len(vocab))
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer.from_pretrained(folder)
    image_processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)
    config = CLIPConfig(
        text_config={
            "vocab_size": len(vocab), "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "max_position_embeddings": 77, "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id, "pad_token_id": tokenizer.pad_token_id,
        },
        vision_config={
            "image_size": 32, "patch_size": 8, "hidden_size": 32, "intermediate_size": 64,
            "num_hidden_layers": 2, "num_attention_heads": 4,
        },
        projection_dim=dimensions,
    )  # fmt: skip
    torch.manual_seed(seed)
    CLIPModel(config).eval().save_pretrained(folder)
    return folder


def build_siglip(folder: Path, *, dimensions: int, seed: int = 0) -> Path:
    """SigLIP's architecture (texts padded to 64 tokens, pooled at the last position), with a BERT vocabulary."""
    tokenizer = _bert_tokenizer(folder)
    tokenizer.save_pretrained(folder)
    SiglipImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    config = SiglipConfig(
        text_config={
            "vocab_size": len(WORDS), "hidden_size": dimensions, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "max_position_embeddings": 64, "pad_token_id": tokenizer.pad_token_id,
        },
        vision_config={
            "image_size": 32, "patch_size": 8, "hidden_size": dimensions, "intermediate_size": 64,
            "num_hidden_layers": 2, "num_attention_heads": 4,
        },
    )  # fmt: skip
    torch.manual_seed(seed)
    SiglipModel(config).eval().save_pretrained(folder)
    return folder


def _bert_tokenizer(folder: Path, **kwargs) -> BertTokenizer:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.txt").write_text("\n".join(WORDS) + "\n")
    return BertTokenizer.from_pretrained(folder, **kwargs)


def build_blip(folder: Path, *, seed: int = 0) -> Path:
    tokenizer = _bert_tokenizer(folder, bos_token="[DEC]", additional_special_tokens=["[ENC]"])
    processor = BlipProcessor(image_processor=BlipImageProcessor(size={"height": 32, "width": 32}), tokenizer=tokenizer)
    processor.save_pretrained(folder)
    config = BlipConfig(
        vision_config={
            "image_size": 32, "patch_size": 8, "hidden_size": 32, "intermediate_size": 64,
            "num_hidden_layers": 2, "num_attention_heads": 4,
        },
        text_config={
            "vocab_size": len(WORDS), "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 4, "encoder_hidden_size": 32, "max_position_embeddings": 64,
            "bos_token_id": tokenizer.convert_tokens_to_ids("[DEC]"), "sep_token_id": tokenizer.sep_token_id,
            "pad_token_id": tokenizer.pad_token_id,
        },
    )  # fmt: skip
    torch.manual_seed(seed)
    BlipForConditionalGeneration(config).eval().save_pretrained(folder)
    return folder


def build_text_embedder(folder: Path, *, dimensions: int, seed: int = 0) -> Path:
    tokenizer = _bert_tokenizer(folder)
    tokenizer.save_pretrained(folder)
    config = BertConfig(
        vocab_size=len(WORDS), hidden_size=dimensions, num_hidden_layers=1, num_attention_heads=4,
        intermediate_size=64, max_position_embeddings=128,
    )  # fmt: skip
    torch.manual_seed(seed)
    BertModel(config).eval().save_pretrained(folder)
    return folder
