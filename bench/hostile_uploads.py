"""Hostile uploads against the web process: an 88-megapixel PNG searched with, and a request announcing 300 MB.

The PNG (a quarter of a megabyte, 11,000 x 8,000 pixels of one colour) goes through the whole middleware
stack and the search-by-photo view in this process, signed in: its status, the time the request took
and how far it raised this process's peak memory (after a warm-up request with a small photo, so that
what Django and Pillow load once is not counted). The announcement is sent to a real gunicorn (the
production server's settings, one process) on a raw socket: headers saying 300 MB and one kilobyte of
body; the status it answers within a few seconds, or that it kept reading. Then 3 MB in chunks, with no
length, to the log-in form (whose limit is REQUEST_MAX_BYTES, 2.5 MB).

    .venv/bin/python bench/hostile_uploads.py
"""

import io
import os
import resource
import socket
import struct
import subprocess
import sys
import time
import zlib

import harness

ANNOUNCED = 300 * 1024 * 1024


def png_88_megapixels(width: int = 11_000, height: int = 8_000) -> bytes:
    """A valid PNG of one colour, written row by row: making it never holds its pixels (nor raises the peak)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    compressor, row, idat = zlib.compressobj(9), b"\0" + bytes((200, 120, 40)) * width, []
    for _ in range(height):
        idat.append(compressor.compress(row))
    idat.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(idat)) + chunk(b"IEND", b"")


def small_png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def search_with(client, data: bytes) -> tuple[int, float]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    start = time.perf_counter()
    response = client.post("/search/by-image/", {"image": SimpleUploadedFile("photo.png", data, "image/png")})
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        print(response.content.decode()[-600:], file=sys.stderr)
    return response.status_code, elapsed


def _status_line(connection) -> str:
    try:
        return connection.recv(200).split(b"\r\n")[0].decode()
    except TimeoutError:
        return "no answer within 5 s (still reading the body)"


def _chunked_3_mb(port: int) -> str:
    """The status gunicorn answers to 3 MB sent in chunks, without a length, to the log-in form."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(
            b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
        )
        chunk = b"x" * 65536
        try:
            for _ in range(48):
                connection.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            connection.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered and closed before the end: what is asked of it
        return _status_line(connection)


def announce_300_mb() -> dict:
    """The statuses gunicorn answers to headers announcing 300 MB, and to 3 MB sent in chunks."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {"WEB_BIND": f"127.0.0.1:{port}", "WEB_WORKERS": "1", "DJANGO_SETTINGS_MODULE": "photosearch.settings_test"}
    command = [sys.executable, "-m", "gunicorn", "photosearch.wsgi", "--config", "python:photosearch.gunicorn"]
    server = subprocess.Popen(command, cwd=harness.ROOT, env={**os.environ, **env})
    try:
        deadline = time.monotonic() + 60
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
            time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
            connection.sendall(
                b"POST /search/by-image/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: multipart/form-data; boundary=x\r\n"
                + f"Content-Length: {ANNOUNCED}\r\n\r\n".encode()
                + b"--x\r\n" * 200
            )
            announced = _status_line(connection)
        return {"announced_300_mb": announced, "chunked_3_mb": _chunked_3_mb(port)}
    finally:
        server.terminate()
        server.wait(timeout=30)


def main():
    args = harness.start(harness.parser(__doc__))  # noqa: F841  (no options: --help only)
    from django.contrib.auth import get_user_model
    from django.test import Client

    big = png_88_megapixels()
    figures = {"png_bytes": len(big)}
    with harness.test_database("bench_hostile_uploads"):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(get_user_model().objects.create_user("bench", password="a-long-bench-passphrase-42"))
        figures["warm_up_status"] = search_with(client, small_png())[0]
        before = peak_mib()
        figures["png_status"], seconds = search_with(client, big)
        figures["png_seconds"] = round(seconds, 2)
        figures["png_peak_memory_added_mib"] = round(peak_mib() - before, 1)
    figures |= announce_300_mb()
    harness.report(figures)


if __name__ == "__main__":
    main()
