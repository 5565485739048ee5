"""Real small videos for the tests, made here with OpenCV's bundled FFmpeg (MPEG-4 in an MP4 container).

OpenCV's FFmpeg writes no H.264: `fixtures/h264.mp4` (3 s, 160x96, 10 fps, blue, yellow from 1 s to 2 s) was
written once with PyAV's libx264 (PyAV is not a dependency), so that the tests read what Instagram serves.
"""

import os
import tempfile
from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image


def mp4(
    *, seconds: float = 4.0, fps: int = 10, size=(160, 96), frame: Callable[[float], Image.Image] | None = None
) -> bytes:
    """A video of `seconds`: each frame is `frame(time)` (an RGB image of `size`), a plain colour by default."""
    frame = frame or (lambda _: Image.new("RGB", size, (40, 90, 160)))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "video.mp4")
        writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        for index in range(round(seconds * fps)):
            image = frame(index / fps).convert("RGB").resize(size)
            writer.write(cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR))
        writer.release()
        with open(path, "rb") as file:
            return file.read()


def between(start: float, end: float, inside: Image.Image, outside: Image.Image) -> Callable[[float], Image.Image]:
    """A frame function showing `inside` from `start` to `end` seconds, `outside` the rest of the time."""
    return lambda seconds: inside if start <= seconds < end else outside
