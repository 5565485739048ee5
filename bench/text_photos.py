"""Generated photos with words painted in them, for the OCR benchmarks and tests.

Each photo is a smooth, grainy background (like bench/indexing.py's) with one or two words
painted on it in one of several styles: plain, outlined, boxed (a sign), in several fonts,
sizes and colours. Plain photos (no words) come from the same generator with no text.
"""

import io
import random
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation")]
FONT_NAMES = [
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSerif-BoldItalic.ttf",
    "LiberationSans-Regular.ttf",
    "LiberationSerif-Bold.ttf",
    "LiberationSansNarrow-Regular.ttf",
    "DejaVuSansCondensed-Oblique.ttf",
]
STYLES = ["plain", "outlined", "boxed"]
# Words of signs and overlays, English and French, none a stop word, all distinct.
_WORD_BLOCK = """
bakery harbour lighthouse museum pharmacy library station garden market festival concert theatre
cinema gallery bistro brasserie boulangerie fromagerie chocolat croissant vintage summer holiday
mountain glacier volcano island lagoon canyon meadow orchard vineyard cellar brewery espresso
cappuccino lemonade sorbet gelato pizzeria taqueria noodles dumplings ramen sushi bagel pretzel
waffle crepes pancake omelette salmon lobster oyster mussels olive tomato pumpkin cherry mango
papaya coconut pineapple avocado walnut hazelnut almond saffron paprika cinnamon vanilla honey
marathon triathlon regatta carnival parade fireworks lantern compass anchor sailboat kayak canoe
bicycle scooter tramway railway airport terminal platform ticket passport postcard souvenir
antique bookshop hardware bakehouse patisserie laverie quincaillerie boucherie poissonnerie
epicerie librairie mairie gendarmerie piscine stade plage falaise phare marais bocage riviera
"""
WORDS = _WORD_BLOCK.split()


@dataclass(frozen=True)
class TextPhoto:
    words: list[str]  # the words painted, in order (empty: a plain photo)
    style: str
    font: str
    jpeg: bytes


def fonts() -> list[Path]:
    found = [folder / name for folder in FONT_DIRS for name in FONT_NAMES if (folder / name).exists()]
    if not found:
        raise SystemExit(
            "No TrueType fonts found: `make bench-deps` installs them (fonts-dejavu-core, fonts-liberation)."
        )
    return found


def background(rng: random.Random, size: int) -> Image.Image:
    small = Image.new("RGB", (6, 6))
    small.putdata([tuple(rng.randrange(256) for _ in range(3)) for _ in range(36)])
    image = small.resize((size, size), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((size, size), 30).convert("RGB").filter(ImageFilter.GaussianBlur(1))
    return Image.blend(image, grain, 0.2)


def text_photo(seed: int, words: list[str], *, size: int = 640) -> TextPhoto:
    """A photo with `words` painted on it, its style, font, size and colour chosen by `seed`."""
    rng = random.Random(seed)
    image = background(rng, size)
    style, font_path = STYLES[seed % len(STYLES)], rng.choice(fonts())
    if words:
        text = " ".join(words).upper() if rng.random() < 0.4 else " ".join(words).capitalize()
        font_size = rng.randrange(36, 84)
        font = ImageFont.truetype(str(font_path), font_size)
        draw = ImageDraw.Draw(image)
        while draw.textlength(text, font=font) > size * 0.9 and font_size > 20:
            font_size -= 4
            font = ImageFont.truetype(str(font_path), font_size)
        width = draw.textlength(text, font=font)
        x = rng.uniform(size * 0.05, max(size * 0.05, size * 0.95 - width))
        y = rng.uniform(size * 0.1, size * 0.8)
        light = rng.random() < 0.5
        low, high = (215, 256) if light else (0, 50)
        ink = tuple(rng.randrange(low, high) for _ in range(3))
        other = tuple(255 - c for c in ink)
        if style == "boxed":
            box = draw.textbbox((x, y), text, font=font)
            pad = font_size // 3
            draw.rectangle((box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad), fill=other)
            draw.text((x, y), text, font=font, fill=ink)
        elif style == "outlined":
            draw.text((x, y), text, font=font, fill=ink, stroke_width=max(2, font_size // 18), stroke_fill=other)
        else:
            # Plain text on a photo: a soft shadow, as overlays have, keeps it readable on any background.
            draw.text((x + 2, y + 2), text, font=font, fill=other)
            draw.text((x, y), text, font=font, fill=ink)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=88)
    return TextPhoto(words=list(words), style=style, font=font_path.name, jpeg=buffer.getvalue())


def text_photos(count: int, *, plain: int = 0, seed: int = 0) -> list[TextPhoto]:
    """`count` photos with one or two words each (odd ones two), then `plain` photos without words.

    No word is painted in two photos while the list lasts (up to 77 photos), so each query has one answer.
    """
    rng = random.Random(seed)
    words = WORDS[:]
    rng.shuffle(words)
    photos, next_word = [], 0
    for number in range(count):
        chosen = [words[(next_word + n) % len(words)] for n in range(1 + number % 2)]
        next_word += len(chosen)
        photos.append(text_photo(seed * 100_000 + number, chosen))
    photos += [text_photo(seed * 100_000 + count + n, []) for n in range(plain)]
    return photos
