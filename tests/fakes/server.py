"""A tiny threaded HTTP server whose answers come from a Python function.

Each platform fake routes requests to its own handler and can be told to fail the next
requests to a path (429 with reset headers, 503, ...) to exercise the collectors' retry
and rate-limit paths against real sockets.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    received: float = field(default_factory=time.monotonic)
    # Every value of a repeated parameter (?actors=a&actors=b); ``query`` keeps the last.
    lists: dict[str, list[str]] = field(default_factory=dict)

    def form(self) -> dict[str, str]:
        return {key: values[-1] for key, values in parse_qs(self.body.decode()).items()}


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list → JSON; str/bytes as they are
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


Handler = Callable[[Request], Response]


class FakeServer:
    def __init__(self, handle: Handler) -> None:
        self.handle = handle
        self.requests: list[Request] = []
        self._failures: list[tuple[str, Response]] = []
        self._lock = threading.Lock()
        fake = self

        class _Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    url.path,
                    {key: values[-1] for key, values in parse_qs(url.query).items()},
                    {key.lower(): value for key, value in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                    lists=parse_qs(url.query),
                )
                response = fake._respond(request)
                body = response.encoded()
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(body)))
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, path_prefix: str, response: Response, times: int = 1) -> None:
        with self._lock:
            self._failures.extend([(path_prefix, response)] * times)

    def requests_to(self, path_prefix: str) -> list[Request]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    def _respond(self, request: Request) -> Response:
        with self._lock:
            self.requests.append(request)
            for index, (prefix, response) in enumerate(self._failures):
                if request.path.startswith(prefix):
                    del self._failures[index]
                    return response
        try:
            return self.handle(request)
        except Exception as error:  # a bug in a fake must show up in the test
            return Response(599, {"fake_error": repr(error)})

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
