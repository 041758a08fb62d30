"""A local OpenAI-compatible chat-completions server that stands in for a remote provider.

Why it exists: tests and benchmarks need a provider that behaves like a remote API (reached over
HTTP through Inspect's `openai-api` provider, billed the way OpenAI bills) but that runs offline,
answers deterministically and keeps exact token accounting to assert on. Replies come from a
`Responder` function; what each request was billed is kept in `LocalOpenAIServer.requests`.

    with LocalOpenAIServer(lambda request, index: f"reply {index}") as server:
        model = get_model("openai-api/local/judge", base_url=server.base_url, api_key="local")

From the command line, set LOCAL_BASE_URL=<server.base_url> and LOCAL_API_KEY=local and pass
`--model openai-api/local/<name>`. `python -m af_inspect.local_server` serves a scripted model
organism and its judges this way (see `model_organism` and `main`).

Billing follows OpenAI: the prompt is counted once per request whatever `n`, completion tokens are
summed over the returned choices, and automatic prefix caching reports the prompt's longest common
prefix with an earlier request to the same model, in whole blocks, above a minimum length. Tokens
are counted by `count_tokens`, an approximate stand-in for a real tokenizer: the counts are exact
for this server, not for any real model. Every response carries `usage`, so Inspect never needs a
tokenizer of its own.

Remote providers are slow and fail now and then; `latency` delays every chat request, and a
`FaultPlan` gives a reproducible share of them the failures providers show (a rate limit, a server
error, a connection that hangs, a body that is not JSON, a reply cut short), so that retries and
error handling can be tested offline. Every chat request, billed or not, is kept in
`LocalOpenAIServer.attempts`; only completed ones are billed in `requests`.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import random
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import urlsplit

MAX_CHOICES = 128
"""The largest `n` accepted, as on OpenAI."""

_TOKEN = re.compile(r"\d+|[^\W\d]+|[^\w\s]")
"""A stand-in token: a run of digits, a run of letters (or underscores), or one other visible character."""


def count_tokens(text: str) -> int:
    """Number of stand-in tokens in `text`: words, numbers and single punctuation characters.

    Deterministic and approximate: it is not any real model's tokenizer.
    """
    return sum(1 for _ in _TOKEN.finditer(text))


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def _truncate(text: str, max_tokens: int) -> str:
    """`text` cut after its first `max_tokens` tokens (whitespace between them kept as sent)."""
    if max_tokens <= 0:
        return ""
    for count, match in enumerate(_TOKEN.finditer(text), start=1):
        if count == max_tokens:
            return text[: match.end()]
    return text


class ErrorResponse(Exception):
    """Raised while handling a request to answer with an OpenAI-style error body."""

    def __init__(
        self, status: int, message: str, error_type: str = "invalid_request_error", code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type
        self.code = code

    def body(self) -> dict[str, Any]:
        """The JSON error body, shaped like OpenAI's."""
        return {"error": {"message": self.message, "type": self.error_type, "param": None, "code": self.code}}


@dataclass(frozen=True)
class ChatRequest:
    """One parsed /v1/chat/completions request."""

    model: str
    messages: list[dict]
    n: int
    temperature: float | None
    max_tokens: int | None
    body: dict

    @property
    def prompt_text(self) -> str:
        """Every message as `role: text` (text parts only), one per line, in order: what is token-counted."""
        lines = (f"{message['role']}: {message_text(message.get('content'))}" for message in self.messages)
        return "\n".join(lines)

    @classmethod
    def from_json(cls, raw: bytes) -> ChatRequest:
        """Parse and validate a request body; raises `ErrorResponse` (400) naming the problem."""
        try:
            body = json.loads(raw)
        except ValueError as error:
            raise ErrorResponse(400, f"the request body is not valid JSON: {error}") from error
        if not isinstance(body, dict):
            raise ErrorResponse(400, "the request body must be a JSON object")
        if body.get("stream"):
            raise ErrorResponse(400, "streaming is not supported by this server: send 'stream': false")
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise ErrorResponse(400, "'model' is required and must be a non-empty string")
        _check_messages(body.get("messages"))
        n = body.get("n")
        if n is None:
            n = 1
        elif not _is_int(n) or not 1 <= n <= MAX_CHOICES:
            raise ErrorResponse(400, f"'n' must be an integer from 1 to {MAX_CHOICES}, got {n!r}")
        temperature = body.get("temperature")
        if temperature is not None and not _is_number(temperature):
            raise ErrorResponse(400, f"'temperature' must be a number, got {temperature!r}")
        max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
        if max_tokens is not None and (not _is_int(max_tokens) or max_tokens < 1):
            raise ErrorResponse(400, f"'max_tokens' must be an integer >= 1, got {max_tokens!r}")
        return cls(
            model=model,
            messages=body["messages"],
            n=n,
            temperature=temperature,
            max_tokens=max_tokens,
            body=body,
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_messages(messages: object) -> None:
    if messages is None:
        raise ErrorResponse(400, "'messages' is required")
    if not isinstance(messages, list) or not messages:
        raise ErrorResponse(400, "'messages' must be a non-empty list of message objects")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise ErrorResponse(400, f"messages[{index}] must be an object with a string 'role'")
        content = message.get("content")
        if content is None or isinstance(content, str):
            continue
        if not isinstance(content, list) or not all(isinstance(part, dict) for part in content):
            raise ErrorResponse(400, f"messages[{index}].content must be a string or a list of content parts")
        if any(part.get("type") == "text" and not isinstance(part.get("text"), str) for part in content):
            raise ErrorResponse(400, f"messages[{index}].content has a text part without a string 'text'")


def message_text(content: str | list[dict] | None) -> str:
    """The text of a message's `content`: the string itself, or its text parts joined by newlines."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(part["text"] for part in content if part.get("type") == "text")


Responder = Callable[[ChatRequest, int], str]
"""Returns the reply text of choice `index` (0-based) for a request."""


@dataclass(frozen=True)
class RequestRecord:
    """What one request was billed: for benchmarks and assertions."""

    model: str
    n_requested: int
    n_returned: int
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int


FaultKind = Literal["429", "500", "timeout", "malformed_json", "truncated"]

FAULT_KINDS: tuple[FaultKind, ...] = ("429", "500", "timeout", "malformed_json", "truncated")
"""The faults a `FaultPlan` can inject, as remote providers show them: `429` a rate limit with
`retry-after: 0`; `500` a server error; `timeout` a connection held open, then closed without a
response; `malformed_json` an HTTP 200 whose body is not JSON; `truncated` an HTTP 200 whose
reply is cut to half its tokens with finish_reason `length`."""


@dataclass(frozen=True)
class FaultPlan:
    """Which chat requests fail and how: reproducible given the order in which requests arrive.

    Args:
        rate: Chance that a request gets a fault (after the first `first`, which always do).
        kinds: Faults to choose from, uniformly; names from `FAULT_KINDS`.
        seed: Seed of the draws.
        timeout_seconds: How long a `timeout` fault holds the connection before hanging up.
        first: The first this-many valid chat requests always get a fault, e.g. to test one retry.
    """

    rate: float
    kinds: tuple[FaultKind, ...] = FAULT_KINDS
    seed: int = 0
    timeout_seconds: float = 30.0
    first: int = 0

    def __post_init__(self) -> None:
        if not _is_number(self.rate) or not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be a probability from 0 to 1, got {self.rate!r}")
        valid = ", ".join(FAULT_KINDS)
        if isinstance(self.kinds, str) or not isinstance(self.kinds, (tuple, list)):
            raise ValueError(f"kinds must be a tuple of fault names, got {self.kinds!r}; valid kinds: {valid}")
        unknown = [kind for kind in self.kinds if kind not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kind(s) {', '.join(map(repr, unknown))}; valid kinds: {valid}")
        if not self.kinds:
            raise ValueError(f"kinds must name at least one fault; valid kinds: {valid}")
        object.__setattr__(self, "kinds", tuple(self.kinds))
        if not _is_int(self.seed):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")
        if not _is_number(self.timeout_seconds) or self.timeout_seconds < 0:
            raise ValueError(f"timeout_seconds must be a number >= 0, got {self.timeout_seconds!r}")
        if not _is_int(self.first) or self.first < 0:
            raise ValueError(f"first must be an integer >= 0, got {self.first!r}")


@dataclass(frozen=True)
class AttemptRecord:
    """One chat request as it arrived, answered or not: for retry and fault assertions."""

    model: str | None
    """The model asked for; None if the body named none."""
    fault: FaultKind | None
    """The fault injected, or None."""
    status: int | None
    """The HTTP status sent; None when the connection was closed without a response."""


@dataclass(frozen=True)
class HTTPReply:
    """What the handler sends for one request. A `status` of None hangs up without answering."""

    status: int | None
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def json(cls, status: int, payload: dict[str, Any], headers: tuple[tuple[str, str], ...] = ()) -> HTTPReply:
        return cls(status, json.dumps(payload).encode(), headers)


CHAT_ROUTE = ("POST", "/v1/chat/completions")

_RATE_LIMITED = ErrorResponse(
    429,
    "Rate limit reached for requests (injected by a FaultPlan of the local server). Please try again in 0s.",
    "requests",
    "rate_limit_exceeded",
)
_SERVER_ERROR = ErrorResponse(
    500,
    "The server had an error while processing your request (injected by a FaultPlan of the local server).",
    "server_error",
)


def _model_named_in(raw: bytes) -> str | None:
    """The `model` of a request body that may be invalid, for the attempt record."""
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) else None


class _PrefixCache:
    """The block-aligned prefixes of every prompt seen, per model, kept as running hashes.

    A prompt's longest common prefix with any earlier prompt, rounded down to whole blocks, is the
    longest of its block-aligned prefixes already seen: one pass over the prompt, whatever the
    number of earlier prompts.
    """

    def __init__(self, block_tokens: int) -> None:
        self._block_tokens = block_tokens
        self._seen: dict[str, set[bytes]] = {}

    def shared_prefix_then_add(self, model: str, tokens: list[str]) -> int:
        """Length of the longest block-aligned prefix of `tokens` seen for `model`; remembers `tokens`."""
        seen = self._seen.setdefault(model, set())
        running = hashlib.sha256()
        shared = 0
        for end in range(self._block_tokens, len(tokens) + 1, self._block_tokens):
            # JSON-encoded blocks concatenate unambiguously, whatever characters the tokens hold.
            running.update(json.dumps(tokens[end - self._block_tokens : end]).encode())
            key = running.digest()
            if shared == end - self._block_tokens and key in seen:
                shared = end
            seen.add(key)
        return shared


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default listen backlog of 5 drops bursts of new connections, and a dropped SYN is
    # retried only after a second: a benchmark with 20+ concurrent requests would measure that.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], app: LocalOpenAIServer) -> None:
        super().__init__(address, _Handler)
        self.app = app

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-response is not a server fault worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer

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
            reply = self.server.app.respond(method, urlsplit(self.path).path, raw)
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


class LocalOpenAIServer:
    """An OpenAI-compatible chat-completions server on a background thread, answering with `responder`.

    Args:
        responder: Gives the reply text of each choice of each request.
        supports_n: Return `n` choices; if False, return exactly one whatever `n` (like providers
            that ignore it).
        prefix_caching: Report cached prompt tokens like OpenAI's automatic prompt caching.
        cache_min_tokens: A shared prefix shorter than this is not cached.
        cache_block_tokens: Cached tokens are a multiple of this.
        host: Interface to listen on.
        port: Port to listen on; 0 picks a free one.
        latency: Seconds each chat request waits before it is answered. Requests are served on
            their own threads, so concurrent requests wait together, as with a remote API.
        latency_jitter: Each wait is `latency × (1 + jitter × u)`, u uniform in [-1, 1] from a
            seeded generator: real APIs vary, which keeps concurrent requests from moving in
            lockstep. The mean stays `latency`.
        faults: Inject provider faults into a share of chat requests; none if unset.
    """

    def __init__(
        self,
        responder: Responder,
        *,
        supports_n: bool = True,
        prefix_caching: bool = True,
        cache_min_tokens: int = 1024,
        cache_block_tokens: int = 128,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        latency_jitter: float = 0.0,
        faults: FaultPlan | None = None,
    ) -> None:
        if cache_block_tokens < 1:
            raise ValueError(f"cache_block_tokens must be >= 1, got {cache_block_tokens}")
        if not _is_number(latency) or latency < 0:
            raise ValueError(f"latency must be a number of seconds >= 0, got {latency!r}")
        if not _is_number(latency_jitter) or not 0 <= latency_jitter <= 1:
            raise ValueError(f"latency_jitter must be between 0 and 1, got {latency_jitter!r}")
        if faults is not None and not isinstance(faults, FaultPlan):
            raise ValueError(f"faults must be a FaultPlan or None, got {type(faults).__name__}")
        self.responder = responder
        self.supports_n = supports_n
        self.prefix_caching = prefix_caching
        self.cache_min_tokens = cache_min_tokens
        self.cache_block_tokens = cache_block_tokens
        self.host = host
        self.port = port
        self.latency = latency
        self.latency_jitter = latency_jitter
        self._latency_random = random.Random(0)
        self.faults = faults
        self.requests: list[RequestRecord] = []
        """What each completed chat request was billed, in arrival order."""
        self.attempts: list[AttemptRecord] = []
        """Every chat request, faulted, failed or completed, in arrival order."""
        # (method, path) -> handler of the raw body returning the JSON response; extensions add routes.
        # Over HTTP, `respond` answers chat completions itself, with latency and faults.
        self.routes: dict[tuple[str, str], Callable[[bytes], dict[str, Any]]] = {
            CHAT_ROUTE: self.chat_completions,
            ("GET", "/v1/models"): self.list_models,
        }
        self._lock = threading.Lock()
        self._cache = _PrefixCache(cache_block_tokens)
        self._arrivals = 0
        self._record_arrivals: list[int] = []
        self._fault_draws = random.Random(faults.seed if faults is not None else 0)
        self._fault_candidates = 0
        self._stopping = threading.Event()
        self._http: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str:
        """`http://<host>:<port>/v1`, for `get_model(..., base_url=...)`; valid after `start()`."""
        if self._base_url is None:
            raise RuntimeError("the server has not been started: call start() or use it as a context manager")
        return self._base_url

    def start(self) -> LocalOpenAIServer:
        """Listen and serve on a background thread; returns self."""
        if self._http is not None:
            raise RuntimeError("the server is already running")
        self._stopping.clear()
        self._http = _HTTPServer((self.host, self.port), self)
        host, port = self._http.server_address[:2]
        self._base_url = f"http://{host}:{port}/v1"
        self._thread = threading.Thread(
            target=self._http.serve_forever,
            kwargs={"poll_interval": 0.05},  # so that stop() returns promptly
            name="local-openai-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the port; requests in flight may still complete."""
        if self._http is None:
            return
        self._stopping.set()  # requests held open by a `timeout` fault hang up now
        self._http.shutdown()
        self._http.server_close()
        if self._thread is not None:
            self._thread.join()
        self._http = None
        self._thread = None

    def __enter__(self) -> LocalOpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def billed_input_tokens(self, cached_price: float = 0.5) -> float:
        """Sum over requests of (prompt_tokens - cached_tokens) + cached_price * cached_tokens."""
        with self._lock:
            records = list(self.requests)
        return sum(r.prompt_tokens - r.cached_tokens + cached_price * r.cached_tokens for r in records)

    def respond(self, method: str, path: str, raw: bytes) -> HTTPReply:
        """The HTTP reply to one request: chat completions after latency and faults, the rest by `handle`."""
        if (method, path.rstrip("/")) == CHAT_ROUTE:
            return self._chat_attempt(raw)
        return HTTPReply.json(*self.handle(method, path, raw))

    def handle(self, method: str, path: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        """Answer one HTTP request with (status, JSON body), without latency or faults.

        Every failure becomes an error body.
        """
        route = self.routes.get((method, path.rstrip("/")))
        if route is None:
            return _error_reply(ErrorResponse(404, f"Invalid URL ({method} {path})"))
        return _guarded(lambda: route(raw))

    def list_models(self, raw: bytes) -> dict[str, Any]:
        """GET /v1/models."""
        return {"object": "list", "data": [{"id": "local", "object": "model", "owned_by": "af-inspect"}]}

    def chat_completions(self, raw: bytes) -> dict[str, Any]:
        """POST /v1/chat/completions: choices from the responder, usage billed like OpenAI, recorded."""
        return self._complete(ChatRequest.from_json(raw))

    def _chat_attempt(self, raw: bytes) -> HTTPReply:
        """One chat request after `latency`: a fault drawn from the plan, or the completion."""
        if self.latency > 0:
            with self._lock:
                spread = self.latency_jitter * self._latency_random.uniform(-1.0, 1.0)
            time.sleep(self.latency * (1.0 + spread))
        try:
            request = ChatRequest.from_json(raw)
        except ErrorResponse as error:
            # Invalid requests draw no fault: the plan's sequence depends only on valid requests.
            slot, _ = self._begin_attempt(_model_named_in(raw), draw=False)
            return self._end_attempt(slot, HTTPReply.json(*_error_reply(error)))
        slot, fault = self._begin_attempt(request.model, draw=True)
        if fault == "429":
            reply = HTTPReply.json(429, _RATE_LIMITED.body(), headers=(("retry-after", "0"),))
        elif fault == "500":
            reply = HTTPReply.json(500, _SERVER_ERROR.body())
        elif fault == "timeout":
            assert self.faults is not None
            self._stopping.wait(self.faults.timeout_seconds)
            reply = HTTPReply(None)
        else:
            # A malformed body was still generated (its prompt is cached) but is never billed:
            # the client cannot read what it was charged.
            status, payload = _guarded(
                lambda: self._complete(request, truncate=fault == "truncated", bill=fault != "malformed_json")
            )
            reply = HTTPReply.json(status, payload)
            if fault == "malformed_json" and status == 200:
                reply = HTTPReply(200, reply.body[: len(reply.body) // 2])  # a JSON document cut off
        return self._end_attempt(slot, reply)

    def _begin_attempt(self, model: str | None, *, draw: bool) -> tuple[int, str | None]:
        """Record an arriving chat request; with `draw`, decide its fault from the plan."""
        with self._lock:
            fault = None
            if draw and self.faults is not None:
                self._fault_candidates += 1
                forced = self._fault_candidates <= self.faults.first
                if forced or self._fault_draws.random() < self.faults.rate:
                    fault = self._fault_draws.choice(self.faults.kinds)
            self.attempts.append(AttemptRecord(model, fault, None))
            return len(self.attempts) - 1, fault

    def _end_attempt(self, slot: int, reply: HTTPReply) -> HTTPReply:
        with self._lock:
            self.attempts[slot] = AttemptRecord(self.attempts[slot].model, self.attempts[slot].fault, reply.status)
        return reply

    def _complete(self, request: ChatRequest, *, truncate: bool = False, bill: bool = True) -> dict[str, Any]:
        """The completion of a valid request; `truncate` cuts each reply to half its tokens."""
        prompt_tokens = _tokens(request.prompt_text)
        arrival, cached_tokens = self._arrive(request.model, prompt_tokens)
        choices = [
            self._choice(request, index, truncate=truncate) for index in range(request.n if self.supports_n else 1)
        ]
        completion_tokens = sum(count_tokens(choice["message"]["content"]) for choice in choices)
        if bill:
            self._record(
                arrival,
                RequestRecord(
                    model=request.model,
                    n_requested=request.n,
                    n_returned=len(choices),
                    prompt_tokens=len(prompt_tokens),
                    cached_tokens=cached_tokens,
                    completion_tokens=completion_tokens,
                ),
            )
        return {
            "id": f"chatcmpl-local-{arrival}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.model,
            "system_fingerprint": None,
            "choices": choices,
            "usage": {
                "prompt_tokens": len(prompt_tokens),
                "completion_tokens": completion_tokens,
                "total_tokens": len(prompt_tokens) + completion_tokens,
                "prompt_tokens_details": {"cached_tokens": cached_tokens},
            },
        }

    def _arrive(self, model: str, prompt_tokens: list[str]) -> tuple[int, int]:
        """The request's arrival number and cached tokens; its prompt is cached for later requests."""
        with self._lock:
            self._arrivals += 1
            if not self.prefix_caching:
                return self._arrivals, 0
            shared = self._cache.shared_prefix_then_add(model, prompt_tokens)
            return self._arrivals, shared if shared >= self.cache_min_tokens else 0

    def _record(self, arrival: int, record: RequestRecord) -> None:
        # Responders may run concurrently: a record goes before those of requests that arrived after
        # it (always the tail of the list), so `requests` reads in arrival order.
        with self._lock:
            later = len(self._record_arrivals) - bisect.bisect(self._record_arrivals, arrival)
            bisect.insort(self._record_arrivals, arrival)
            self.requests.insert(len(self.requests) - later, record)

    def _choice(self, request: ChatRequest, index: int, *, truncate: bool = False) -> dict[str, Any]:
        try:
            text = self.responder(request, index)
        except Exception as error:
            message = f"the responder raised {type(error).__name__}: {error}"
            raise ErrorResponse(500, message, "server_error") from error
        if not isinstance(text, str):
            raise ErrorResponse(500, f"the responder returned {type(text).__name__}, not str", "server_error")
        finish_reason = "stop"
        if request.max_tokens is not None and count_tokens(text) > request.max_tokens:
            text, finish_reason = _truncate(text, request.max_tokens), "length"
        if truncate:
            text, finish_reason = _truncate(text, count_tokens(text) // 2), "length"
        message = {"role": "assistant", "content": text}
        return {"index": index, "message": message, "finish_reason": finish_reason}


def _error_reply(error: ErrorResponse) -> tuple[int, dict[str, Any]]:
    return error.status, error.body()


def _guarded(answer: Callable[[], dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """(200, the answer), or the error body of whatever it raised: the server never crashes on a request."""
    try:
        return 200, answer()
    except ErrorResponse as error:
        return _error_reply(error)
    except Exception as error:
        message = f"server error: {type(error).__name__}: {error}"
        return _error_reply(ErrorResponse(500, message, "server_error"))
