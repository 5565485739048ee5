"""Reading a folder written by `instaloader PROFILE`: which files make up which post.

instaloader names every file of a post after its date (`2021-03-23_11-21-40_UTC`): the metadata
(`.json.xz` or `.json`), the caption (`.txt`), the image or video thumbnail (`.jpg`), carousel slides
(`_1.jpg`, `_2.jpg`, ...) and a video post's video (`.mp4`).
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from profiles import instagram

_FILE = re.compile(
    r"^(?P<stem>\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}_UTC)(?:_(?P<slide>\d{1,3}))?"
    r"\.(?P<ext>json\.xz|json|txt|jpg|jpeg|png|webp|mp4)$",
    re.IGNORECASE,
)
_IMAGE_EXTENSIONS = {"jpg", "jpeg", "png", "webp"}


@dataclass
class FolderPost:
    """One post of the folder: its metadata file, its images by position (1 for the first), its video."""

    stem: str
    metadata: Path | None = None
    caption_file: Path | None = None
    images: dict[int, Path] = field(default_factory=dict)
    video: Path | None = None


def folder_posts(path: Path) -> list[FolderPost]:
    """The posts of a folder, oldest first, from the names of its files."""
    posts: dict[str, FolderPost] = defaultdict(lambda: FolderPost(stem=""))
    for file in sorted(path.iterdir()):
        match = _FILE.match(file.name)
        if not match or not file.is_file():
            continue
        post = posts[match["stem"]]
        post.stem = match["stem"]
        extension = match["ext"].lower()
        if extension in ("json.xz", "json"):
            # The compressed one wins if both are there: it is what instaloader writes by default.
            if post.metadata is None or extension == "json.xz":
                post.metadata = file
        elif extension == "txt":
            post.caption_file = file
        elif extension == "mp4":
            post.video = file
        elif extension in _IMAGE_EXTENSIONS:
            post.images[int(match["slide"] or 1)] = file
    return [posts[stem] for stem in sorted(posts)]


def folder_profile(path: Path) -> instagram.ProfileData | None:
    """The profile described by the folder's own metadata (`<username>_<id>.json.xz`), if any."""
    for file in sorted(path.glob("*_*.json*")):
        if not _FILE.match(file.name) and (profile := instagram.profile_from_file(file)):
            return profile
    return None
