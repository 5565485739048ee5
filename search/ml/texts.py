"""How texts are fed to the models: shared by the torch encoders and the ONNX query encoders (no torch here)."""

import numpy as np


def text_padding(model_type: str) -> dict:
    """How an image-text model's texts are padded: SigLIP was trained on texts padded to 64 tokens, and ranks
    worse with shorter padding."""
    return {"padding": "max_length", "max_length": 64} if model_type.startswith("siglip") else {"padding": True}


def text_prefixes(name: str, query_prefix: str | None, passage_prefix: str | None) -> tuple[str, str]:
    """The text embedder's (query, passage) prefixes: those given, else (None) the model family's own."""
    # The E5 family was trained with these prefixes and retrieves worse without them.
    is_e5 = "e5" in str(name).lower()
    return (
        "query: " if query_prefix is None and is_e5 else (query_prefix or ""),
        "passage: " if passage_prefix is None and is_e5 else (passage_prefix or ""),
    )


def seen_positions(mask: np.ndarray) -> np.ndarray | None:
    """The positions of a padded batch that count: every token some text has, and the last; None if all do.

    A SigLIP text is padded to 64 tokens and pooled at the last position, a pad for any shorter
    text. With an attention mask, no position attends to a pad (the last one included), so a pad
    changes nothing but its own state: the real tokens and the last position, each at its own
    position, give the same vector as all 64 (tested), for a fifth of the work on a short query.
    Without a mask every pad is attended to, and nothing may be cut.
    """
    kept = mask.astype(bool).any(axis=0)
    kept[-1] = True
    return None if kept.all() else np.flatnonzero(kept)
