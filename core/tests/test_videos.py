"""Videos checked as they come in and sampled into frames (core/videos.py), on real small MP4 files."""

from pathlib import Path

import pytest
from PIL import Image

from core.tests.videos import between, mp4
from core.videos import VideoRefused, video_check, video_file, video_frames

PLAIN = Image.new("RGB", (160, 96), (40, 90, 160))
OTHER = Image.new("RGB", (160, 96), (230, 200, 40))


def sampled(data: bytes, frames_max: int = 16, time_limit: float = 30):
    with video_file(data) as path:
        return video_frames(path, frames_max=frames_max, time_limit=time_limit)


def test_it_probes_the_duration_size_and_codec_of_a_video():
    checked = video_check(mp4(seconds=3, fps=10))
    assert (checked.seconds, checked.width, checked.height, checked.codec) == (3.0, 160, 96, "FMP4")


def test_a_video_cut_short_is_refused_as_truncated():
    data = mp4()
    with pytest.raises(VideoRefused, match="truncated or corrupt video"):
        video_check(data[: len(data) // 2])


def test_bytes_that_are_not_an_mp4_are_refused():
    with pytest.raises(VideoRefused, match="not an MP4 video"):
        video_check(b"GIF89a" + b"\0" * 100)


def test_a_video_longer_than_the_cap_is_refused(settings):
    settings.VIDEO_MAX_SECONDS = 2
    with pytest.raises(VideoRefused, match="longer than 2 seconds"):
        video_check(mp4(seconds=3))


def test_a_video_larger_than_the_cap_is_refused(settings):
    settings.VIDEO_MAX_BYTES = 1024
    with pytest.raises(VideoRefused, match="larger than 1024 bytes"):
        video_check(mp4())


def test_a_still_video_is_kept_as_one_frame():
    sampling = sampled(mp4(seconds=4))
    assert [frame.seconds for frame in sampling.frames] == [0.0]
    assert (sampling.seconds, sampling.complete) == (4.0, True)


def test_a_scene_shown_only_mid_video_is_kept_with_its_time():
    sampling = sampled(mp4(seconds=4, frame=between(1.6, 2.4, OTHER, PLAIN)))
    assert [frame.seconds for frame in sampling.frames] == [0.0, 1.6]  # the blue scene once, at its first moment
    assert sampling.frames[1].image.getpixel((80, 48))[2] < 100  # the yellow one


def test_no_more_frames_are_kept_than_asked_for_scene_changes_first():
    # A new colour every half second: eight scenes, four frames wanted.
    colours = [Image.new("RGB", (160, 96), (n * 30, 255 - n * 30, (n % 2) * 255)) for n in range(8)]
    sampling = sampled(mp4(seconds=4, frame=lambda seconds: colours[int(seconds * 2)]), frames_max=4)
    assert len(sampling.frames) == 4
    assert len({frame.image.getpixel((80, 48)) for frame in sampling.frames}) == 4  # four scenes, none twice


def test_sampling_stops_at_its_time_limit_with_the_frames_found_so_far():
    sampling = sampled(mp4(seconds=4, frame=between(3, 4, OTHER, PLAIN)), time_limit=0)
    assert sampling.complete is False
    assert [frame.seconds for frame in sampling.frames] == [0.0]


def test_an_h264_video_as_instagram_serves_it_is_read():
    data = (Path(__file__).parent / "fixtures" / "h264.mp4").read_bytes()  # 3 s, a yellow scene from 1 s to 2 s
    assert (video_check(data).codec, video_check(data).seconds) == ("h264", 3.0)
    assert [frame.seconds for frame in sampled(data).frames] == [0.0, 1.0]
