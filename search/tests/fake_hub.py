"""A fake Hugging Face hub on a local port: the few answers huggingface_hub 2.4's snapshot_download reads.

Everything above the network (huggingface_hub's listing, download, cache and progress bars, our
command) runs for real. Each repository is a dict of file names to bytes, at one commit.
"""

import hashlib
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COMMIT = "0123456789abcdef0123456789abcdef01234567"


class FakeHub:
    def __init__(self, repos: dict[str, dict[str, bytes]]):
        self.repos = repos
        self.downloads = Counter()  # (repo, file) -> how many times its bytes were sent
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_HEAD(self):
                hub.answer(self, head=True)

            def do_GET(self):
                hub.answer(self, head=False)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def answer(self, request, *, head: bool) -> None:
        path = request.path.split("?")[0]
        for repo, files in self.repos.items():
            if path == f"/api/models/{repo}/revision/main":
                return _send(request, json.dumps({"id": repo, "sha": COMMIT}).encode())
            if path == f"/api/models/{repo}/tree/{COMMIT}":
                listing = [
                    {"type": "file", "path": name, "size": len(data), "oid": _oid(data)} for name, data in files.items()
                ]
                return _send(request, json.dumps(listing).encode())
            prefix = f"/{repo}/resolve/{COMMIT}/"
            if path.startswith(prefix) and (data := files.get(path[len(prefix) :])) is not None:
                if not head:
                    self.downloads[repo, path[len(prefix) :]] += 1
                headers = {"X-Repo-Commit": COMMIT, "ETag": f'"{_oid(data)}"'}
                return _send(request, data, "application/octet-stream", headers, head=head)
        request.send_response(404)
        request.send_header("Content-Length", "0")
        request.end_headers()


def _oid(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def _send(request, body: bytes, content_type="application/json", headers=None, head=False) -> None:
    request.send_response(200)
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        request.send_header(name, value)
    request.end_headers()
    if not head:
        request.wfile.write(body)
