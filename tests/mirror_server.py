"""A scripted HTTP server on 127.0.0.1 standing in for the MNIST mirrors: tests never reach the network."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class MirrorServer:
    """Serves ``data`` (file name -> bytes) by file name under any prefix ("/a/<name>", "/b/<name>"...), one prefix per mirror.

    ``script["/a/<name>"]`` lists behaviours used by successive requests (then "ok"): "ok" (honours
    Range), "no-range" (always 200), "404", "500", "wrong" (same length, other bytes), "truncate"
    (promises the full length, sends half, closes), "short" (a
    complete response, 10 bytes shorter than the file), "stall" (headers, then silence for 1 s), "endless"
    (no length, three copies). ``log`` holds (path, Range header, body bytes sent) per request.
    """

    def __init__(self, data: dict[str, bytes]):
        self.data = data
        self.script: dict[str, list[str]] = {}
        self.log: list[tuple[str, str | None, int]] = []
        self.agents: list[str] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.agents.append(self.headers.get("User-Agent", ""))
                steps = owner.script.get(self.path, [])
                owner.serve(self, steps.pop(0) if steps else "ok")

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def url(self, mirror: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}/{mirror}/"

    def serve(self, handler: BaseHTTPRequestHandler, step: str) -> None:
        body = self.data.get(handler.path.rsplit("/", 1)[-1])
        if body is None or step in ("404", "500"):
            self.record(handler, 0)
            handler.send_error(int(step) if step in ("404", "500") else 404)
            return
        start = 0
        asked = handler.headers.get("Range", "")
        if asked.startswith("bytes=") and asked.endswith("-") and step != "no-range":
            start = int(asked[6:-1])
        if step == "wrong":
            body = bytes(b ^ 0xFF for b in body)
        elif step == "short":
            body = body[:-10]
        rest = body[start:] if step != "endless" else body * 3
        handler.send_response(206 if start else 200)
        if start:
            handler.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        if step != "endless":
            handler.send_header("Content-Length", str(len(rest)))
        if step == "truncate":
            rest = rest[: len(rest) // 2]
        self.record(handler, 0 if step == "stall" else len(rest))
        handler.end_headers()
        if step == "stall":
            time.sleep(1.0)
        else:
            handler.wfile.write(rest)

    def record(self, handler: BaseHTTPRequestHandler, sent: int) -> None:
        # Before the response goes out, so the client can never see it before the log does.
        self.log.append((handler.path, handler.headers.get("Range"), sent))

    def requests(self, prefix: str = "") -> list[tuple[str, str | None, int]]:
        return [entry for entry in self.log if entry[0].startswith(prefix)]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
