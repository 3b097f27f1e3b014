"""A real webhook receiver on loopback for the tests, the drills and the benchmark: a threaded
HTTP server that records every request and answers as it is told."""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)


class Receiver:
    """`status` (or a callable of the request) decides the answer; `delay` holds it; `hang`
    set: it never answers (until stopped). `accepted` counts the 2xx answers per webhook-id,
    so a receiver that deduplicates by webhook-id would act once per key."""

    def __init__(self, *, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self.status: Any = status
        self.response_headers = headers or {}
        self.response_body = b""
        self.delay = 0.0
        self.hang = threading.Event()
        self.lock = threading.Lock()
        self.requests: list[Received] = []
        self.accepted: Counter[str] = Counter()
        self._server: ThreadingHTTPServer | None = None
        self._stopping = threading.Event()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self, port: int = 0) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                request = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with receiver.lock:
                    receiver.requests.append(request)
                if receiver.hang.is_set():
                    receiver._stopping.wait(120)
                    self.close_connection = True
                    return
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.status(request) if callable(receiver.status) else receiver.status
                if 200 <= status < 300:
                    with receiver.lock:
                        receiver.accepted[request.headers.get("webhook-id", "")] += 1
                self.send_response(status)
                for name, value in receiver.response_headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in receiver.response_headers:
                    self.send_header("Content-Length", str(len(receiver.response_body)))
                self.end_headers()
                # the sender may have given up or been killed (the worker drill): nothing to tell
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(receiver.response_body)

        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def of_type(self, event_type: str) -> list[Received]:
        import json

        with self.lock:
            return [r for r in self.requests if json.loads(r.body).get("type") == event_type]
