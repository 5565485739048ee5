"""Writes profiles/demo/photosearch_demo/, the demo profile that `manage.py load_demo` imports.

The photographs come from packages that ship them under free licences (CREDITS.md names each one's
author, package and licence): Debian's mate-backgrounds and plasma-workspace-wallpapers, and the
scikit-image wheel's sample data. Unpack those somewhere, then

    .venv/bin/python -m profiles.demo.build SOURCE_FOLDER

Each image is resized to 1080 px on its long side (JPEG, quality 85); its metadata is written by
instaloader's own `save_metadata_json`, as `instaloader PROFILE` writes it, so the demo goes
through exactly the import path of a real instaloader folder.
"""

import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

import instaloader
from PIL import Image

from profiles.demo.posts import OWNER, POSTS

FOLDER = Path(__file__).parent / OWNER["username"]
LONG_SIDE = 1080


def node(post: dict, index: int) -> dict:
    """A post as Instagram's v1 API gives it: what instaloader's Post.from_iphone_struct reads."""
    taken_at = int(datetime.fromisoformat(post["date"]).replace(tzinfo=UTC).timestamp())
    media_id = 3_400_000_000_000_000_000 + taken_at * 1000 + index
    slides = post["photos"]
    first = {"url": "https://demo.invalid/1.jpg", "width": 1080, "height": 1080}
    data = {
        "pk": str(media_id),
        "id": f"{media_id}_{OWNER['pk']}",
        "code": instaloader.Post.mediaid_to_shortcode(media_id),
        "taken_at": taken_at,
        "media_type": 8 if len(slides) > 1 else 1,
        "caption": {"text": post["caption"]},
        "like_count": post.get("likes", 0),
        "comment_count": post.get("comments", 0),
        "has_liked": False,
        "accessibility_caption": slides[0]["alt"],
        "user": OWNER,
        "location": {"pk": 100 + index, "name": post["location"]} if post.get("location") else None,
        "image_versions2": {"candidates": [first]},
    }
    if len(slides) > 1:
        data["carousel_media"] = [
            {"media_type": 1, "accessibility_caption": slide["alt"], "image_versions2": {"candidates": [first]}}
            for slide in slides
        ]
    return data


def resized(source: Path, target: Path) -> None:
    with Image.open(source) as image:
        image = image.convert("RGB")
        image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
        image.save(target, "JPEG", quality=85, optimize=True, progressive=True)


def main(source_root: Path) -> None:
    shutil.rmtree(FOLDER, ignore_errors=True)
    FOLDER.mkdir(parents=True)
    loader = instaloader.Instaloader(sleep=False, quiet=True)
    counts = {"edge_owner_to_timeline_media": {"count": len(POSTS)}}
    profile = instaloader.Profile(loader.context, {**OWNER, "id": OWNER["pk"], **counts})
    loader.save_metadata_json(str(FOLDER / f"{OWNER['username']}_{OWNER['pk']}"), profile)
    for index, post in enumerate(POSTS):
        structure = instaloader.Post.from_iphone_struct(loader.context, node(post, index))
        stem = f"{structure.date_utc:%Y-%m-%d_%H-%M-%S}_UTC"
        loader.save_metadata_json(str(FOLDER / stem), structure)
        for position, slide in enumerate(post["photos"], start=1):
            name = f"{stem}_{position}.jpg" if len(post["photos"]) > 1 else f"{stem}.jpg"
            resized(source_root / slide["file"], FOLDER / name)
    total = sum(file.stat().st_size for file in FOLDER.iterdir())
    print(f"{len(POSTS)} posts, {sum(len(p['photos']) for p in POSTS)} photos, {total / 1e6:.1f} MB in {FOLDER}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
