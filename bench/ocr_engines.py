"""RapidOCR against Tesseract on generated photos of text: the measure behind OCR_ENGINE's default.

Each engine reads the same photos (bench/text_photos.py: several fonts, sizes, colours; plain,
outlined and boxed text; a few turned 90°) on this CPU; a word counts as read when the engine's
text holds it (case and accents aside).

    make bench-deps                       # Tesseract with English and French, and the fonts
    .venv/bin/python bench/ocr_engines.py [--photos 30]

Tesseract runs with `-l eng+fra --psm 11` (sparse text: words anywhere on a photo, which read
better than its default page layout). The last line is one JSON object with the figures.
"""

import io
import re
import shutil
import subprocess
import sys
import time
import unicodedata

import harness
from text_photos import text_photos


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def rapidocr_reader():
    import numpy as np
    from rapidocr import RapidOCR

    engine = RapidOCR(params={"Global.log_level": "critical"})

    def read(jpeg: bytes) -> str:
        from PIL import Image

        output = engine(np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))[:, :, ::-1])
        return " ".join(output.txts or ())

    return read


def tesseract_reader():
    def read(jpeg: bytes) -> str:
        done = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", "eng+fra", "--psm", "11"],
            input=jpeg,
            capture_output=True,
            check=True,
        )
        return done.stdout.decode()

    return read


def main() -> None:
    parser = harness.parser(__doc__)
    parser.add_argument("--photos", type=int, default=30)
    args = parser.parse_args()  # no database, no Django
    photos = text_photos(args.photos, plain=0, seed=7)
    figures = {}
    for name, make in (("rapidocr", rapidocr_reader), ("tesseract", tesseract_reader)):
        if name == "tesseract" and not shutil.which("tesseract"):
            print("tesseract: not installed (make bench-deps)", file=sys.stderr)
            continue
        read = make()
        read(photos[0].jpeg)  # warm up
        found = total = 0
        by_style: dict[str, list[int]] = {}
        started = time.perf_counter()
        for photo in photos:
            text = set(re.findall(r"\w+", fold(read(photo.jpeg))))
            hits = sum(fold(word) in text for word in photo.words)
            found, total = found + hits, total + len(photo.words)
            counts = by_style.setdefault(photo.style, [0, 0])
            counts[0] += hits
            counts[1] += len(photo.words)
        seconds = time.perf_counter() - started
        figures[name] = {
            "word_recall": round(found / total, 3),
            "by_style": {style: round(hit / of, 3) for style, (hit, of) in by_style.items()},
            "photos_per_s": round(len(photos) / seconds, 2),
        }
        print(name, figures[name])
    figures["photos"] = len(photos)
    harness.report(figures)


if __name__ == "__main__":
    main()
