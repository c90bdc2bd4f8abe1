"""A local receiver for Codecut's outgoing webhooks, over real HTTP: it checks
``Codecut-Signature`` as a brand's system would and keeps what it got (the demo shows it), and for
tests it can fail on purpose (500), hang past the timeout, or answer 410 Gone."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ..outbox import signing


@dataclass
class Received:
    event: dict[str, Any]
    headers: dict[str, str]
    verified: bool


@dataclass
class ReceiverState:
    secret: str = ""
    mode: str = "ok"  # ok | fail | hang | gone
    hang_seconds: float = 3.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def event_ids(self) -> list[str]:
        with self.lock:
            return [r.event["id"] for r in self.received]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        """What it heard, newest last, one JSON event a line (the demo points people here)."""
        with self.server.state.lock:
            lines = [json.dumps(r.event, ensure_ascii=False) for r in self.server.state.received]
        body = ("\n".join(lines) + "\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        verified = signing.verify(
            self.headers.get(signing.HEADER, ""), body, state.secret, now=int(time.time())
        )
        if state.mode == "hang":
            time.sleep(state.hang_seconds)
        status, answer = {
            "ok": (200 if verified else 400, b'{"received": true}'),
            "fail": (500, b"receiver exploded: database is down"),
            "hang": (200, b"too late"),
            "gone": (410, b"this endpoint is gone"),
        }[state.mode]
        if state.mode == "ok" and verified:
            with state.lock:
                state.received.append(Received(json.loads(body), dict(self.headers), verified))
        with contextlib.suppress(OSError):  # a client that timed out has gone
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    state: ReceiverState


class Receiver:
    """``with Receiver() as receiver: receiver.url ... receiver.state.received``"""

    def __init__(self) -> None:
        self.state = ReceiverState()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.state = self.state
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
