"""A local OpenAI-compatible chat-completions server that stands in for a remote provider.

Why it exists: tests and benchmarks need a provider that behaves like a remote API (reached over
HTTP through Inspect's `openai-api` provider, billed the way OpenAI bills) but that runs offline,
answers deterministically and keeps exact token accounting to assert on. Replies come from a
`Responder` function; what each request was billed is kept in `LocalOpenAIServer.requests`.

    with LocalOpenAIServer(lambda request, index: f"reply {index}") as server:
        model = get_model("openai-api/local/judge", base_url=server.base_url, api_key="local")

From the command line, set LOCAL_BASE_URL=<server.base_url> and LOCAL_API_KEY=local and pass
`--model openai-api/local/<name>`. `python -m af_inspect.local_server` serves the scripted model
organism and its judges this way (see `offline/cli.py`).

Billing follows OpenAI (see `billing.py`): the prompt is counted once per request whatever `n`,
completion tokens are summed over the returned choices, and automatic prefix caching reports the
prompt's longest common prefix with an earlier request to the same model, in whole blocks, above a
minimum length. Every response carries `usage`, so Inspect never needs a tokenizer of its own.

Remote providers are slow and fail now and then; `latency` delays every chat request, and a
`FaultPlan` (see `faults.py`) gives a reproducible share of them the failures providers show. Every
chat request, billed or not, is kept in `LocalOpenAIServer.attempts`; only completed ones are billed
in `requests`. Both waits are on the server's stop event, so `stop()` hangs them up at once.
"""

from __future__ import annotations

import bisect
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from af_inspect.offline.billing import PrefixCache, RequestRecord, count_tokens, cut_to_tokens, tokens_of
from af_inspect.offline.chat import ChatRequest, ErrorResponse, Responder, answer_or_error, is_number, model_named_in
from af_inspect.offline.faults import RATE_LIMITED, SERVER_ERROR, FaultDraws, FaultKind, FaultPlan
from af_inspect.offline.http_transport import HTTPReply, StoppableHTTPServer


@dataclass(frozen=True)
class AttemptRecord:
    """One chat request as it arrived, answered or not: for retry and fault assertions."""

    model: str | None
    """The model asked for; None if the body named none."""
    fault: FaultKind | None
    """The fault injected, or None."""
    status: int | None
    """The HTTP status sent; None when the connection was closed without a response."""


CHAT_ROUTE = ("POST", "/v1/chat/completions")


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
        if not is_number(latency) or latency < 0:
            raise ValueError(f"latency must be a number of seconds >= 0, got {latency!r}")
        if not is_number(latency_jitter) or not 0 <= latency_jitter <= 1:
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
        self._cache = PrefixCache(cache_block_tokens)
        self._arrivals = 0
        self._record_arrivals: list[int] = []
        self._fault_draws = FaultDraws(faults)
        self._stopping = threading.Event()
        self._http: StoppableHTTPServer | None = None
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
        self._stopping = threading.Event()  # a fresh one: the serve loop of an earlier run stays stopped
        self._http = StoppableHTTPServer((self.host, self.port), self.respond, self._stopping)
        host, port = self._http.server_address[:2]
        self._base_url = f"http://{host}:{port}/v1"
        self._http.start()
        return self

    def stop(self, timeout: float = 1.0) -> None:
        """Stop serving, close the port and hang up every connection; returns within about `timeout` seconds.

        Requests waiting out their latency or a `timeout` fault, and slow clients, are hung up
        without an answer. A responder still running after `timeout` finishes on its daemon
        thread, which keeps no process alive.
        """
        if self._http is None:
            return
        self._http.stop(timeout)
        self._http = None

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
            return ErrorResponse(404, f"Invalid URL ({method} {path})").reply()
        return answer_or_error(lambda: route(raw))

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
            if self._stopping.wait(self.latency * (1.0 + spread)):
                return HTTPReply(None)  # stopped while waiting: hang up, like a provider going away
        try:
            request = ChatRequest.from_json(raw)
        except ErrorResponse as error:
            # Invalid requests draw no fault: the plan's sequence depends only on valid requests.
            slot, _ = self._begin_attempt(model_named_in(raw), draw=False)
            return self._end_attempt(slot, HTTPReply.json(*error.reply()))
        slot, fault = self._begin_attempt(request.model, draw=True)
        if fault == "429":
            reply = HTTPReply.json(429, RATE_LIMITED.body(), headers=(("retry-after", "0"),))
        elif fault == "500":
            reply = HTTPReply.json(500, SERVER_ERROR.body())
        elif fault == "timeout":
            assert self.faults is not None
            self._stopping.wait(self.faults.timeout_seconds)
            reply = HTTPReply(None)
        else:
            # A malformed body was still generated (its prompt is cached) but is never billed:
            # the client cannot read what it was charged.
            status, payload = answer_or_error(
                lambda: self._complete(request, truncate=fault == "truncated", bill=fault != "malformed_json")
            )
            reply = HTTPReply.json(status, payload)
            if fault == "malformed_json" and status == 200:
                reply = HTTPReply(200, reply.body[: len(reply.body) // 2])  # a JSON document cut off
        return self._end_attempt(slot, reply)

    def _begin_attempt(self, model: str | None, *, draw: bool) -> tuple[int, FaultKind | None]:
        """Record an arriving chat request; with `draw`, decide its fault from the plan."""
        with self._lock:
            fault = self._fault_draws.next() if draw else None
            self.attempts.append(AttemptRecord(model, fault, None))
            return len(self.attempts) - 1, fault

    def _end_attempt(self, slot: int, reply: HTTPReply) -> HTTPReply:
        with self._lock:
            self.attempts[slot] = AttemptRecord(self.attempts[slot].model, self.attempts[slot].fault, reply.status)
        return reply

    def _complete(self, request: ChatRequest, *, truncate: bool = False, bill: bool = True) -> dict[str, Any]:
        """The completion of a valid request; `truncate` cuts each reply to half its tokens."""
        prompt_tokens = tokens_of(request.prompt_text)
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
            text, finish_reason = cut_to_tokens(text, request.max_tokens), "length"
        if truncate:
            text, finish_reason = cut_to_tokens(text, count_tokens(text) // 2), "length"
        message = {"role": "assistant", "content": text}
        return {"index": index, "message": message, "finish_reason": finish_reason}
