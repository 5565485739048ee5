"""Folders written by `instaloader PROFILE`, imported as a sync of the same posts would store them; and
their zips, unpacked with every size counted as it streams (jobs.services.uploads runs a zip's import)."""

import bz2
import lzma
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.images import ImageRefused
from core.videos import VideoRefused
from profiles import folders, instagram
from profiles.models import InstagramProfile, Photo
from profiles.services.ingest import INDEX_BATCHES_PER_JOB, PostNotStored, post_ingest, profile_update
from profiles.services.tracking import username_parse
from profiles.signals import photos_stored


class ImportRefused(Exception):
    """The upload cannot be imported at all; the message says why."""


@dataclass
class ImportReport:
    profile: InstagramProfile | None = None  # the profile the posts were imported to
    posts: int = 0
    new_posts: int = 0
    new_photos: int = 0
    problems: list[str] = field(default_factory=list)
    stopped: bool = False  # cancelled before the end of the folder

    def summary(self) -> str:
        """What the job's row says when it ends, in the site's language (LANGUAGE_CODE: it is stored)."""
        text = _("%(posts)d posts read, %(new_posts)d new, %(new_photos)d new photos.") % {
            "posts": self.posts, "new_posts": self.new_posts, "new_photos": self.new_photos
        }  # fmt: skip
        if self.problems:
            text += " " + _("%(count)d skipped:") % {"count": len(self.problems)} + " " + "; ".join(self.problems)
        return text[:500]


def folder_import(
    *,
    path: Path,
    username: str = "",
    progress: Callable[[int, int], None] | None = None,
    queue_index: bool = True,
) -> ImportReport:
    """Ingest a folder written by `instaloader PROFILE`, as a sync of the same posts would; idempotent.

    The new photos are announced (profiles.signals.photos_stored) for the indexer to queue, unless
    queue_index is False (the caller indexes them).
    """
    path = Path(path)
    if not path.is_dir():
        raise ValidationError(f"{path} is not a folder.")
    described = folders.folder_profile(path)
    username = username_parse(text=username or (described.username if described else path.name))
    profile, _ = InstagramProfile.objects.get_or_create(username=username)
    if described and described.username == username:
        profile_update(profile=profile, data=described, may_make_public=False)
    report, read = ImportReport(profile=profile), []
    posts = folders.folder_posts(path)
    for done, folder_post in enumerate(posts, start=1):
        if shortcode := _folder_post_import(profile=profile, folder_post=folder_post, report=report):
            read.append(shortcode)
        if queue_index and len(read) >= settings.INDEX_BATCH_SIZE * INDEX_BATCHES_PER_JOB:
            _index_read(profile=profile, shortcodes=read)  # indexing starts while the import goes on
        # A progress callback answering False means the job was cancelled: stop here, keep what is stored.
        if progress and progress(done, len(posts)) is False:
            report.stopped = True
            break
    if queue_index:
        _index_read(profile=profile, shortcodes=read)
    return report


def _index_read(*, profile: InstagramProfile, shortcodes: list[str]) -> None:
    """Announce the photos of these posts: the indexer queues those no index job has, new ones and those an
    interrupted import stored without queuing them (a rerun skips their posts as stored: their only way in)."""
    photos = Photo.objects.filter(post__shortcode__in=shortcodes)
    photos_stored.send(sender=ImportReport, profile=profile, photos=photos)
    shortcodes.clear()


def _folder_post_import(*, profile, folder_post: folders.FolderPost, report: ImportReport) -> str | None:
    """Import one post of the folder; its shortcode once it is stored (or was already), else None."""
    if folder_post.metadata is None:
        names = ", ".join(file.name for file in folder_post.images.values()) or f"{folder_post.stem}.txt"
        report.problems.append(f"{names}: no metadata file (.json.xz) beside it")
        return None
    try:
        data = instagram.post_from_file(folder_post.metadata)
    except instagram.InstagramError as exc:
        report.problems.append(f"{folder_post.metadata.name}: {exc}")
        return None
    if not data.caption and folder_post.caption_file:
        data = _with_caption(data, folder_post.caption_file.read_text(encoding="utf-8", errors="replace"))

    def read(position: int) -> bytes:
        file = folder_post.images.get(position)
        if file is None:
            raise ImageRefused("missing from the folder")
        return image_file_read(file)

    def read_video() -> bytes:
        return video_file_read(folder_post.video)

    try:
        result = post_ingest(
            profile=profile, data=data, fetch=read, fetch_video=read_video if folder_post.video else None
        )
    except PostNotStored as exc:
        report.problems.append(f"{folder_post.metadata.name}: not stored, {exc}")
        return None
    report.posts += 1
    report.new_posts += result.created
    report.new_photos += len(result.new_photo_ids)
    for position, reason in result.refused.items():
        # Named by file, which is what the person holding the folder can look at.
        file = folder_post.images.get(position)
        report.problems.append(f"{file.name if file else f'{folder_post.stem} image {position}'}: {reason}")
    if result.video_refused:
        report.problems.append(f"{folder_post.video.name}: {result.video_refused}")
    return data.shortcode


def image_file_read(file: Path) -> bytes:
    """An image file's bytes, read no further than INSTAGRAM_MAX_IMAGE_BYTES whatever the file claims to be."""
    limit = settings.INSTAGRAM_MAX_IMAGE_BYTES
    with open(file, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ImageRefused(f"larger than {limit} bytes")
    return data


def video_file_read(file: Path) -> bytes:
    """A video file's bytes, read no further than VIDEO_MAX_BYTES."""
    limit = settings.VIDEO_MAX_BYTES
    with open(file, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise VideoRefused(f"larger than {limit} bytes")
    return data


def _with_caption(data: instagram.PostData, caption: str) -> instagram.PostData:
    tags = re.findall(r"(?:#)(\w+)", caption.lower())
    return replace(data, caption=caption.strip(), hashtags=tags)


def zip_unpack(*, source, into: Path, name: str = "") -> Path:
    """Unpack the zip in `source` (a Django file), flat, into a folder `name`d after the profile (else after
    the zip's one top folder); returns that folder.

    Only file names are kept (no path from the archive is followed). The sizes the archive declares
    are not trusted: the bytes actually decompressed are counted as they stream, in small pieces,
    whatever the compression, and the import is refused once they pass IMPORT_MAX_BYTES.
    """
    try:
        with source.open("rb") as stored, zipfile.ZipFile(stored) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            if sum(info.file_size for info in members) > settings.IMPORT_MAX_BYTES:
                raise ImportRefused(_too_large())
            tops = {info.filename.split("/", 1)[0] for info in members if "/" in info.filename}
            name = name or (tops.pop() if len(tops) == 1 else "import")
            folder = into / Path(name).name
            folder.mkdir()
            budget = _Budget(settings.IMPORT_MAX_BYTES)
            for info in members:
                filename = Path(info.filename).name
                if filename and not filename.startswith("."):
                    with open(folder / filename, "wb") as target:
                        for chunk in zip_entry_chunks(stored, info):
                            budget.spend(len(chunk))
                            target.write(chunk)
            return folder
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, OSError, lzma.LZMAError):
        raise ImportRefused("This file is not a readable zip.") from None


def _too_large() -> str:
    return f"This zip unpacks to more than {settings.IMPORT_MAX_BYTES} bytes."


class _Budget:
    def __init__(self, limit: int):
        self.left = limit

    def spend(self, size: int) -> None:
        self.left -= size
        if self.left < 0:
            raise ImportRefused(_too_large())


# Decompressed bytes handed out at a time: what one entry can cost in memory, however it is compressed.
_CHUNK = 256 * 1024
_MAX_LZMA_DICTIONARY = 64 * 1024 * 1024  # xz -9 uses 64 MiB
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... file name length, extra field length


def zip_entry_chunks(stored, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The decompressed bytes of one zip entry, at most _CHUNK at a time, checked against its CRC.

    zipfile itself bounds only deflate: a bzip2 or LZMA entry of a few hundred bytes is decompressed
    whole in one call (hundreds of megabytes). Here every compression goes through max_length.
    """
    if info.flag_bits & 0x1:
        raise ImportRefused(f"{Path(info.filename).name} is encrypted: unpack the zip without a password.")
    stored.seek(info.header_offset)
    signature, name_length, extra_length = _LOCAL_HEADER.unpack(stored.read(_LOCAL_HEADER.size))
    if signature != b"PK\x03\x04":
        raise zipfile.BadZipFile("bad local header")
    stored.seek(name_length + extra_length, 1)
    compressed = _Compressed(stored, info.compress_size)
    crc = 0
    for chunk in _decompressed(compressed, info):
        crc = zlib.crc32(chunk, crc)
        yield chunk
    if crc != info.CRC:
        raise zipfile.BadZipFile("CRC mismatch")


class _Compressed:
    """The compressed bytes of one entry, read a piece at a time from the archive."""

    def __init__(self, stored, size: int):
        self.stored, self.left = stored, size

    def read(self, size: int = 64 * 1024) -> bytes:
        data = self.stored.read(min(size, self.left))
        if not data and self.left:
            raise EOFError
        self.left -= len(data)
        return data


def _decompressed(compressed: _Compressed, info: zipfile.ZipInfo) -> Iterator[bytes]:
    method = info.compress_type
    if method == zipfile.ZIP_STORED:
        while data := compressed.read(_CHUNK):
            yield data
        return
    if method == zipfile.ZIP_DEFLATED:
        inflate = zlib.decompressobj(-15)
        while data := compressed.read():
            while data:
                yield inflate.decompress(data, _CHUNK)
                data = inflate.unconsumed_tail
        yield inflate.flush()
        return
    if method == zipfile.ZIP_BZIP2:
        decompressor = bz2.BZ2Decompressor()
    elif method == zipfile.ZIP_LZMA:
        # A zip's LZMA entry starts with 2 bytes of version and 2 of properties' length, then the properties.
        header = compressed.read(4)
        properties = compressed.read(struct.unpack("<H", header[2:4])[0])
        # The dictionary is allocated whole, at the size the entry asks for (up to 4 GiB): bound it too.
        if len(properties) != 5 or int.from_bytes(properties[1:5], "little") > _MAX_LZMA_DICTIONARY:
            raise ImportRefused(f"{Path(info.filename).name} asks for more memory than this import gives.")
        decompressor = lzma.LZMADecompressor(
            lzma.FORMAT_RAW, filters=[lzma._decode_filter_properties(lzma.FILTER_LZMA1, properties)]
        )
    else:
        raise ImportRefused(f"{Path(info.filename).name} uses a compression this import does not read.")
    while not decompressor.eof:
        data = compressed.read() if decompressor.needs_input else b""
        if not data and decompressor.needs_input:
            break  # the entry ended: what was decompressed is checked against its CRC
        yield decompressor.decompress(data, max_length=_CHUNK)
