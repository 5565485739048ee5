"""The reader: the words written in each photo (signs, menus, overlays), by OCR.

RapidOCR runs PaddleOCR's PP-OCRv6 small detection and recognition models, which its wheel ships
as ONNX files, on ONNX Runtime: nothing is downloaded, ever. It finds text at any place, size and
angle (a 180° line is turned back by its direction classifier). Chosen over Tesseract by
measuring both on generated photos of text (bench/ocr_engines.py, in the README).
"""

from __future__ import annotations

import logging
import re

import numpy as np
from PIL import Image

log = logging.getLogger(__name__)

# Below this confidence a line is more often noise (texture read as letters) than text.
MIN_SCORE = 0.6
# A "word" must hold a letter or digit run this long: single characters are mostly texture.
_WORDY = re.compile(r"\w{2,}")


class Reader:
    """Images into the text they show ("" where none is read)."""

    def __init__(self, name: str, engine):
        self.name, self.engine = name, engine

    @classmethod
    def load(cls, name: str, *, threads: int) -> Reader:
        if name != "rapidocr":
            raise OSError(f"unknown OCR engine {name!r}")
        try:
            from rapidocr import RapidOCR
        except ImportError as exc:  # the registry's word for "cannot load this model here" is OSError
            raise OSError(f"rapidocr is not installed: {exc}") from exc

        engine = RapidOCR(
            params={
                "Global.log_level": "critical",
                # Photos come at most 512 px a side (core.images): never scale them up to detect.
                "Det.limit_type": "max",
                "EngineConfig.onnxruntime.intra_op_num_threads": threads,
                "EngineConfig.onnxruntime.inter_op_num_threads": 1,
            }
        )
        return cls(name, engine)

    def read(self, images: list[Image.Image]) -> list[str]:
        """The text of each image, its lines in reading order; a photo the engine chokes on reads as ""."""
        texts = []
        for image in images:
            try:
                output = self.engine(np.asarray(image.convert("RGB"))[:, :, ::-1])  # OpenCV's BGR
            except Exception:  # one odd image (a 1-pixel strip, a blank) must not fail the batch
                log.warning("The reader could not read an image", exc_info=True)
                texts.append("")
                continue
            lines = zip(output.txts or (), output.scores or (), strict=False)
            texts.append(" ".join(text.strip() for text, score in lines if score >= MIN_SCORE and _WORDY.search(text)))
        return texts
