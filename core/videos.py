"""Reading videos safely, in one place: a video checked as it comes in, and its frames sampled for indexing.

OpenCV's VideoCapture reads them, with the FFmpeg its wheel bundles (opencv-python-headless, already
installed for the reader): no system binary and no second copy of FFmpeg. A video is checked as an
image is (core.images): its container (MP4/MOV), its codec (its first and last frames must decode, so a
truncated file fails here), its size, duration and pixels capped, with a reason a person can read.

    video_check(bytes)  --> CheckedVideo (stored beside the post's cover)
    video_frames(path)  --> at most `frames_max` Frames: one pass over the video, a few samples a second;
                            the scene changes first (the samples most unlike the one before), then one
                            sample per even slot (a second at least), near-identical ones dropped; in at
                            most `time_limit` s.
"""

import hashlib
import heapq
import logging
import math
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import BinaryIO

import cv2
import numpy as np
from django.conf import settings
from PIL import Image

log = logging.getLogger(__name__)

# The ISO base media file format's brands: MP4 and QuickTime (MOV), which Instagram and phones write.
_FTYP = b"ftyp"
# How many samples a second the pass compares; the frames kept come from these.
SAMPLES_PER_SECOND = 4
# A scene changes where a sample's colours (a histogram, compared with the sample before: 0 the same to 1 none
# in common) change at least _SCENE_CHANGE and _SCENE_RATIO times as much as they usually do (the median of the
# last _USUAL samples): a camera moving across one scene changes them steadily, a cut or words appearing at
# once. A sample whose 32x32 grey copy differs from a frame kept by less than _DUPLICATE (a mean, 0 to 1) is
# a copy of it and is dropped.
_SCENE_CHANGE, _SCENE_RATIO, _USUAL = 0.05, 1.8, 8
_DUPLICATE = 0.006
# The even slots are at least this long: a short clip is not cut into frames_max slices.
SECONDS_PER_SLOT = 1.0
# Frames are kept at most this wide or high: enough for the models (512) and a result's picture.
FRAME_MAX_SIDE = 640


class VideoRefused(Exception):
    """These bytes cannot be used as a video; the message says why, in plain words."""


@dataclass(frozen=True)
class CheckedVideo:
    data: bytes = field(repr=False)
    sha256: str
    seconds: float
    width: int
    height: int
    codec: str


@dataclass(frozen=True)
class Frame:
    seconds: float  # where in the video
    image: Image.Image  # RGB, at most FRAME_MAX_SIDE
    change: float = 0.0  # a scene change: how much more than usual its colours changed (0: not one)


@dataclass
class Sampling:
    frames: list[Frame] = field(default_factory=list)
    seconds: float = 0.0  # the video's duration
    complete: bool = True  # False when the time limit stopped the pass before the end


@contextmanager
def _capture(path: str) -> Iterator[cv2.VideoCapture]:
    capture = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    try:
        if not capture.isOpened():
            raise VideoRefused("truncated or corrupt video (its index cannot be read)")
        yield capture
    finally:
        capture.release()


def _codec(capture: cv2.VideoCapture) -> str:
    fourcc = int(capture.get(cv2.CAP_PROP_FOURCC))
    return fourcc.to_bytes(4, "little").decode("ascii", "replace").strip("\x00 ") or "unknown"


def _probe(capture: cv2.VideoCapture) -> tuple[float, int, int, int]:
    """The video's frames a second, frame count, width and height; VideoRefused past the caps."""
    fps, count = capture.get(cv2.CAP_PROP_FPS), int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    width, height = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    if fps <= 0 or count <= 0 or width <= 0 or height <= 0:
        raise VideoRefused("no video track")
    if width * height > settings.IMAGE_MAX_PIXELS:
        raise VideoRefused(f"too many pixels to decode safely: {width:,} x {height:,}")
    if count / fps > settings.VIDEO_MAX_SECONDS:
        raise VideoRefused(f"longer than {settings.VIDEO_MAX_SECONDS} seconds ({count / fps:.0f} s)")
    return fps, count, width, height


@contextmanager
def video_file(source: bytes | BinaryIO) -> Iterator[str]:
    """A path to these bytes (or to a copy of this file, a stored one say) in a temporary file, FFmpeg reading
    files; removed afterwards."""
    with tempfile.NamedTemporaryFile(suffix=".mp4") as file:
        if isinstance(source, bytes):
            file.write(source)
        else:
            shutil.copyfileobj(source, file)
        file.flush()
        yield file.name


def video_check(data: bytes) -> CheckedVideo:
    """Probe `data` (container, codec, duration, size) and decode its first and last frames; VideoRefused if not."""
    if len(data) > settings.VIDEO_MAX_BYTES:
        raise VideoRefused(f"larger than {settings.VIDEO_MAX_BYTES} bytes")
    if data[4:8] != _FTYP:
        raise VideoRefused("not an MP4 video")
    with video_file(data) as path, _capture(path) as capture:
        fps, count, width, height = _probe(capture)
        codec = _codec(capture)
        if not capture.read()[0]:
            raise VideoRefused(f"its frames cannot be decoded (codec {codec})")
        # The last frame: a file cut short has its index but not its end.
        capture.set(cv2.CAP_PROP_POS_FRAMES, count - 1)
        if not capture.read()[0]:
            raise VideoRefused("truncated or corrupt video (its last frames are missing)")
    return CheckedVideo(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        seconds=round(count / fps, 3),
        width=width,
        height=height,
        codec=codec,
    )


def _signature(frame: np.ndarray) -> np.ndarray:
    """A 32x32 grey copy of a frame, values 0 to 1: what samples are compared by."""
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float32) / 255


def _histogram(frame: np.ndarray) -> np.ndarray:
    """The share of each of 8x8x8 colours in a small copy of the frame."""
    small = cv2.resize(frame, (64, 64), interpolation=cv2.INTER_AREA)
    counts = cv2.calcHist([small], [0, 1, 2], None, [8, 8, 8], [0, 256] * 3).ravel()
    return counts / counts.sum()


def _kept_copy(frame: np.ndarray) -> Image.Image:
    height, width = frame.shape[:2]
    scale = min(1.0, FRAME_MAX_SIDE / max(height, width))
    if scale < 1:
        frame = cv2.resize(frame, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    return Image.fromarray(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))


def video_frames(path: str, *, frames_max: int, time_limit: float) -> Sampling:
    """At most `frames_max` frames of the video at `path`, scene changes first, then evenly; see the docstring.

    Memory is bounded: a 32x32 copy of the last sample, and at most 2 x frames_max kept copies of at most
    FRAME_MAX_SIDE. Past `time_limit` seconds the pass stops, with the frames found so far.
    """
    started = time.monotonic()
    with _capture(path) as capture:
        fps, count, _, _ = _probe(capture)
        step = max(1, round(fps / SAMPLES_PER_SECOND))
        sampling = Sampling(seconds=count / fps)
        slot_count = max(1, min(frames_max, math.ceil(sampling.seconds / SECONDS_PER_SLOT)))
        changes: list[tuple[float, int, Frame, np.ndarray]] = []  # a min-heap of the largest changes
        slots: dict[int, tuple[Frame, np.ndarray]] = {}  # even slot: its first sample
        previous, usual, index = None, deque(maxlen=_USUAL), -1
        while capture.grab():
            index += 1
            if index % step:
                continue
            ok, image = capture.retrieve()
            if not ok:
                break
            seconds, signature, histogram = index / fps, _signature(image), _histogram(image)
            slot = min(slot_count - 1, int(seconds * slot_count / sampling.seconds))
            difference = float(np.abs(histogram - previous).sum() / 2) if previous is not None else 0.0
            baseline = float(np.median(usual)) if usual else 0.0
            # Until what is usual is known (the first samples), only a plain cut counts.
            floor = _SCENE_CHANGE if len(usual) >= 2 else 4 * _SCENE_CHANGE
            is_change = previous is not None and difference >= max(floor, _SCENE_RATIO * baseline)
            change = difference - baseline if is_change else 0.0
            if previous is not None:
                usual.append(difference)
            previous = histogram
            if slot not in slots or is_change:
                frame = Frame(round(seconds, 2), _kept_copy(image), change)
                slots.setdefault(slot, (frame, signature))
                if is_change:
                    heapq.heappush(changes, (change, index, frame, signature))
                    if len(changes) > frames_max:
                        heapq.heappop(changes)
            if time.monotonic() - started > time_limit:
                sampling.complete = False
                log.warning("Sampling %s stopped after %.0f s, at %.1f s of video", path, time_limit, seconds)
                break
    # The scene changes first, the largest first; then the even slots, in order.
    candidates = [(frame, sig) for _, _, frame, sig in sorted(changes, reverse=True)] + list(slots.values())
    kept: list[tuple[Frame, np.ndarray]] = []
    for frame, signature in candidates:
        copy_of = next((n for n, (_, other) in enumerate(kept) if np.abs(signature - other).mean() < _DUPLICATE), None)
        if copy_of is None and len(kept) < frames_max:
            kept.append((frame, signature))
        elif copy_of is not None and frame.seconds < kept[copy_of][0].seconds:
            # A scene shown twice is named by its first moment (with the larger change of the two).
            change = max(frame.change, kept[copy_of][0].change)
            kept[copy_of] = (replace(frame, change=change), signature)
    sampling.frames = sorted((frame for frame, _ in kept), key=lambda frame: frame.seconds)
    return sampling
