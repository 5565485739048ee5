"""Adds the demo's reel to profiles/demo/photosearch_demo/: a short video made from two of the demo's CC0
photographs (scikit-image's coffee cup and Chelsea the cat), with words shown on its middle seconds only.

No freely licensed video was at hand offline, so it is generated here, from files the demo already ships
(CREDITS.md): the camera pans across the cup, "MORNING RITUAL" shows from 1.5 s to 3 s, then cuts to
the cat. Its cover and metadata are written as `instaloader PROFILE` writes a video post's. Run once:

    .venv/bin/python -m profiles.demo.build_reel
"""

import tempfile
from pathlib import Path

import cv2
import instaloader
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from profiles.demo.build import FOLDER, node
from profiles.demo.posts import OWNER

REEL = {
    "date": "2024-06-15T08:45:00",
    "photos": [{"alt": "May be a video of a cup of coffee, then a cat"}],
    "caption": "Slow Saturday: a coffee first, then the cat wants her breakfast ☕🐱 #reels #coffee #cat",
    "likes": 321,
}
SIZE, FPS, SECONDS = (360, 640), 15, 6
COFFEE, CAT = FOLDER / "2023-03-29_07-30-00_UTC.jpg", FOLDER / "2023-03-11_12-05-00_UTC.jpg"


def tall(path: Path) -> Image.Image:
    """The photograph scaled to the reel's height, wider than the reel, for the camera to pan across."""
    with Image.open(path) as image:
        image = image.convert("RGB")
        return image.resize((round(image.width * SIZE[1] / image.height), SIZE[1]), Image.Resampling.LANCZOS)


def with_words(frame: Image.Image, text: str) -> Image.Image:
    frame = frame.copy()
    draw = ImageDraw.Draw(frame)
    font = ImageFont.load_default(size=34)
    box = draw.textbbox((24, 500), text, font=font)
    draw.rectangle((box[0] - 12, box[1] - 12, box[2] + 12, box[3] + 12), fill="white")
    draw.text((24, 500), text, font=font, fill="black")
    return frame


def frame_at(seconds: float, coffee: Image.Image, cat: Image.Image) -> Image.Image:
    scene, start = (coffee, 0) if seconds < 3.5 else (cat, 3.5)
    pan = round((scene.width - SIZE[0]) * (seconds - start) / SECONDS)
    frame = scene.crop((pan, 0, pan + SIZE[0], SIZE[1]))
    return with_words(frame, "MORNING RITUAL") if 1.5 <= seconds < 3 else frame


def main() -> None:
    coffee, cat = tall(COFFEE), tall(CAT)
    loader = instaloader.Instaloader(sleep=False, quiet=True)
    data = node(REEL, 99) | {"media_type": 2, "video_versions": [{"url": "https://demo.invalid/reel.mp4"}]}
    data["video_duration"] = float(SECONDS)
    structure = instaloader.Post.from_iphone_struct(loader.context, data)
    stem = f"{structure.date_utc:%Y-%m-%d_%H-%M-%S}_UTC"
    loader.save_metadata_json(str(FOLDER / stem), structure)
    frame_at(0, coffee, cat).save(FOLDER / f"{stem}.jpg", "JPEG", quality=85)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "reel.mp4"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, SIZE)
        for index in range(SECONDS * FPS):
            writer.write(cv2.cvtColor(np.asarray(frame_at(index / FPS, coffee, cat)), cv2.COLOR_RGB2BGR))
        writer.release()
        (FOLDER / f"{stem}.mp4").write_bytes(path.read_bytes())
    print(f"{stem}: {(FOLDER / f'{stem}.mp4').stat().st_size / 1e3:.0f} kB of video, {OWNER['username']}")


if __name__ == "__main__":
    main()
