"""The HTTP side of the stand-in server: a thread per connection, and a stop that returns within a bound.

What a request is answered with is the caller's `Respond` function; this module only carries bytes,
and makes sure that nothing it starts outlives `stop()` by more than its timeout or keeps the process
alive: handler threads are daemons, every wait of theirs is on the stop event, and every open
connection is known so that a handler blocked on a slow client can be woken.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from af_inspect.offline.chat import ErrorResponse


@dataclass(frozen=True)
class HTTPReply:
    """What the handler sends for one request. A `status` of None hangs up without answering."""

    status: int | None
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def json(cls, status: int, payload: dict[str, Any], headers: tuple[tuple[str, str], ...] = ()) -> HTTPReply:
        return cls(status, json.dumps(payload).encode(), headers)


Respond = Callable[[str, str, bytes], HTTPReply]
"""(method, path, raw body) -> the reply; may wait, but only on the server's stop event."""


class StoppableHTTPServer(ThreadingHTTPServer):
    """Serves `respond` on a background thread until `stop()`, which returns within its timeout.

    Args:
        address: (host, port) to listen on; port 0 picks a free one.
        respond: Answers each request.
        stopping: Set by `stop()`; `respond` waits on it, never sleeps, so that a stop wakes it.
    """

    daemon_threads = True  # no handler thread keeps the process alive
    block_on_close = False  # `stop()` waits for handler threads itself, within its timeout
    # The default listen backlog of 5 drops bursts of new connections, and a dropped SYN is
    # retried only after a second: a benchmark with 20+ concurrent requests would measure that.
    request_queue_size = 1024
    timeout = 0.05  # how long `handle_request` waits for a connection: the serve loop sees a stop this soon

    def __init__(self, address: tuple[str, int], respond: Respond, stopping: threading.Event) -> None:
        super().__init__(address, _Handler)
        self.respond = respond
        self.stopping = stopping
        self._open: dict[socket.socket, threading.Thread] = {}
        self._open_lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve_until_stopped, name="local-openai-server", daemon=True)

    def start(self) -> None:
        """Serve on a background thread."""
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """Stop accepting, close the port, hang up every open connection and wait for its handler.

        Returns within about `timeout` seconds; a handler still busy then (a slow responder) is
        left to finish on its daemon thread.
        """
        deadline = time.monotonic() + timeout
        self.stopping.set()  # wakes every handler waiting in `respond`
        self._thread.join(max(0.0, deadline - time.monotonic()))
        self.server_close()
        with self._open_lock:
            connections = list(self._open.items())
        for connection, _ in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)  # wakes a handler blocked reading or writing it
            except OSError:
                pass  # its handler closed it meanwhile
        for _, thread in connections:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _serve_until_stopped(self) -> None:
        # Not `serve_forever`: its `shutdown()` waits without a bound for the loop to notice.
        while not self.stopping.is_set():
            try:
                self.handle_request()
            except (OSError, ValueError):
                if self.stopping.is_set():
                    return  # `stop()` gave up waiting and closed the socket under a late poll
                raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            # `stop()` lists the open connections after setting `stopping`, under this lock: a
            # connection is either on its list and hung up there, or refused here.
            if self.stopping.is_set():
                self.shutdown_request(request)
                return
            self._open[request] = threading.current_thread()
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self._open.pop(request, None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-response is not a server fault worth a traceback, nor is a
        # connection that `stop()` cut.
        if isinstance(sys.exc_info()[1], ConnectionError) or self.stopping.is_set():
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: StoppableHTTPServer

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def _answer(self, method: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            reply = HTTPReply.json(400, ErrorResponse(400, "invalid Content-Length header").body())
        else:
            raw = self.rfile.read(length) if length > 0 else b""
            if len(raw) < length:  # the body was cut off: the client went away, or `stop()` hung up
                self.close_connection = True
                return
            reply = self.server.respond(method, urlsplit(self.path).path, raw)
        if reply.status is None:
            self.close_connection = True  # hang up unanswered, like a dropped upstream connection
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests and benchmarks own stderr
