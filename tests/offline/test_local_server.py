"""The local OpenAI-compatible server: replies from a responder, billed like OpenAI, reached through Inspect."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.client import HTTPResponse, RemoteDisconnected
from urllib.parse import urlsplit

import pytest
from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig, ModelOutput, get_model

from af_inspect.offline.billing import RequestRecord, count_tokens
from af_inspect.offline.chat import ChatRequest
from af_inspect.offline.faults import FaultPlan
from af_inspect.offline.server import AttemptRecord, LocalOpenAIServer

LONG_SYSTEM_PROMPT = "word " * 1500
"""1500 tokens; with the role labels, two requests sharing it share 1504 tokens: 'system', ':', 1500
words, 'user', ':'."""


def numbered(request: ChatRequest, index: int) -> str:
    return f"reply number {index}"


def generate(server: LocalOpenAIServer, input: str | list, **config) -> ModelOutput:
    """One generate call through Inspect's openai-api provider, as an eval would make it."""

    async def run() -> ModelOutput:
        async with get_model("openai-api/local/judge", base_url=server.base_url, api_key="local") as model:
            return await model.generate(input, config=GenerateConfig(**config))

    return asyncio.run(run())


def long_prompt(question: str) -> list:
    return [ChatMessageSystem(content=LONG_SYSTEM_PROMPT), ChatMessageUser(content=question)]


def long_chat(question: str) -> dict:
    return {
        "model": "judge",
        "messages": [{"role": "system", "content": LONG_SYSTEM_PROMPT}, {"role": "user", "content": question}],
    }


def http(server: LocalOpenAIServer, path: str, body: bytes | dict | None = None) -> tuple[int, dict]:
    """POST `body` (GET if None) straight to the server, without Inspect or its retries."""
    url = server.base_url.removesuffix("/v1") + path
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def chat(content: str, **params) -> dict:
    return {"model": "judge", "messages": [{"role": "user", "content": content}], **params}


def test_count_tokens_counts_words_numbers_and_single_punctuation():
    assert count_tokens("Hello, world: 42 apples!") == 7
    assert count_tokens("") == 0


def test_the_prompt_text_is_each_message_with_its_role_and_text_parts_only():
    request = ChatRequest(
        model="judge",
        messages=[
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                ],
            },
        ],
        n=1,
        temperature=None,
        max_tokens=None,
        body={},
    )
    assert request.prompt_text == "system: Be brief.\nuser: What is this?"


def test_inspect_receives_one_choice_per_requested_completion_from_the_responder():
    with LocalOpenAIServer(numbered) as server:
        output = generate(server, "hello", num_choices=3)
    assert [choice.message.text for choice in output.choices] == [
        "reply number 0",
        "reply number 1",
        "reply number 2",
    ]


def test_inspect_reports_the_input_tokens_the_server_counted():
    with LocalOpenAIServer(numbered) as server:
        output = generate(server, "hello there", num_choices=3)
    assert server.requests[0].prompt_tokens == count_tokens("user: hello there") == 4
    assert output.usage.input_tokens == server.requests[0].prompt_tokens
    assert output.usage.output_tokens == 3 * count_tokens("reply number 0")


def test_the_prompt_is_billed_once_and_completions_summed_over_choices():
    with LocalOpenAIServer(lambda request, index: "yes " * (index + 1)) as server:
        status, body = http(server, "/v1/chat/completions", chat("is it raining?", n=3))
    assert status == 200
    assert body["usage"] == {
        "prompt_tokens": 6,  # 'user', ':', 'is', 'it', 'raining', '?'
        "completion_tokens": 1 + 2 + 3,
        "total_tokens": 12,
        "prompt_tokens_details": {"cached_tokens": 0},
    }
    assert server.requests == [RequestRecord("judge", 3, 3, 6, 0, 6)]


def test_a_response_has_the_openai_envelope_and_echoes_the_model():
    with LocalOpenAIServer(numbered) as server:
        _, body = http(server, "/v1/chat/completions", chat("hi"))
    assert body["object"] == "chat.completion"
    assert body["model"] == "judge"
    assert body["system_fingerprint"] is None
    assert isinstance(body["id"], str) and isinstance(body["created"], int)
    assert body["choices"] == [
        {"index": 0, "message": {"role": "assistant", "content": "reply number 0"}, "finish_reason": "stop"}
    ]


def test_a_server_without_n_support_returns_one_choice_and_records_the_n_asked():
    with LocalOpenAIServer(numbered, supports_n=False) as server:
        output = generate(server, "hello", num_choices=3)
    assert [choice.message.text for choice in output.choices] == ["reply number 0"]
    assert (server.requests[0].n_requested, server.requests[0].n_returned) == (3, 1)


def test_a_shared_long_prefix_is_cached_in_whole_blocks():
    with LocalOpenAIServer(numbered) as server:
        http(server, "/v1/chat/completions", long_chat("first question"))
        _, body = http(server, "/v1/chat/completions", long_chat("second question"))
    assert [record.cached_tokens for record in server.requests] == [0, 1408]  # 1504 shared, down to 11 x 128
    assert body["usage"]["prompt_tokens_details"] == {"cached_tokens": 1408}


def test_inspect_reports_cached_tokens_as_cache_reads_outside_input_tokens():
    with LocalOpenAIServer(numbered) as server:
        generate(server, long_prompt("first question"))
        output = generate(server, long_prompt("second question"))
    second = server.requests[1]
    assert second.cached_tokens == 1408
    # Inspect 0.3.285 splits OpenAI's prompt_tokens: the cached part is a cache read, the rest input.
    assert output.usage.input_tokens_cache_read == 1408
    assert output.usage.input_tokens == second.prompt_tokens - 1408


def test_a_prompt_shorter_than_the_cache_minimum_is_never_cached():
    prompt = "word " * 1000  # 1002 tokens with the role label: under 1024
    with LocalOpenAIServer(numbered) as server:
        http(server, "/v1/chat/completions", chat(prompt))
        http(server, "/v1/chat/completions", chat(prompt))
    assert [record.cached_tokens for record in server.requests] == [0, 0]


def test_with_prefix_caching_off_nothing_is_cached():
    with LocalOpenAIServer(numbered, prefix_caching=False) as server:
        http(server, "/v1/chat/completions", chat(LONG_SYSTEM_PROMPT))
        http(server, "/v1/chat/completions", chat(LONG_SYSTEM_PROMPT))
    assert [record.cached_tokens for record in server.requests] == [0, 0]


def test_cached_prefixes_are_not_shared_between_models():
    with LocalOpenAIServer(numbered) as server:
        http(server, "/v1/chat/completions", chat(LONG_SYSTEM_PROMPT))
        http(server, "/v1/chat/completions", chat(LONG_SYSTEM_PROMPT) | {"model": "other"})
    assert [record.cached_tokens for record in server.requests] == [0, 0]


def test_billed_input_tokens_charges_cached_tokens_at_the_cached_price():
    server = LocalOpenAIServer(numbered)
    billed = [(1000, 0), (2000, 1024)]  # (prompt_tokens, cached_tokens)
    server.requests.extend(RequestRecord("judge", 1, 1, prompt, cached, 9) for prompt, cached in billed)
    assert server.billed_input_tokens() == 1000 + 976 + 512
    assert server.billed_input_tokens(cached_price=0.1) == pytest.approx(1000 + 976 + 102.4)


def test_a_reply_longer_than_max_tokens_is_truncated_with_finish_reason_length():
    with LocalOpenAIServer(lambda request, index: "one two, three four") as server:
        _, body = http(server, "/v1/chat/completions", chat("count", max_tokens=3))
    assert body["choices"][0]["message"]["content"] == "one two,"
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["usage"]["completion_tokens"] == 3


def test_inspect_maps_a_truncated_reply_to_stop_reason_max_tokens():
    with LocalOpenAIServer(lambda request, index: "one two three four") as server:
        output = generate(server, "count", max_tokens=2)
    assert output.completion == "one two"
    assert output.stop_reason == "max_tokens"


def test_bad_json_is_a_400_naming_the_problem():
    with LocalOpenAIServer(numbered) as server:
        status, body = http(server, "/v1/chat/completions", b"{not json")
    assert status == 400
    assert body["error"]["type"] == "invalid_request_error"
    assert "not valid JSON" in body["error"]["message"]


def test_missing_messages_is_a_400_naming_the_field():
    with LocalOpenAIServer(numbered) as server:
        status, body = http(server, "/v1/chat/completions", {"model": "judge"})
    assert status == 400
    assert "'messages'" in body["error"]["message"]


def test_streaming_is_refused_with_a_400():
    with LocalOpenAIServer(numbered) as server:
        status, body = http(server, "/v1/chat/completions", chat("hi", stream=True))
    assert status == 400
    assert "streaming is not supported" in body["error"]["message"]
    assert server.requests == []


def test_an_unknown_path_is_a_404():
    with LocalOpenAIServer(numbered) as server:
        status, body = http(server, "/v1/embeddings", {"input": "hi"})
    assert status == 404
    assert "/v1/embeddings" in body["error"]["message"]


def test_the_models_endpoint_lists_the_local_model():
    with LocalOpenAIServer(numbered) as server:
        status, body = http(server, "/v1/models")
    assert status == 200
    assert body == {"object": "list", "data": [{"id": "local", "object": "model", "owned_by": "af-inspect"}]}


def test_a_failing_responder_is_a_500_and_the_server_keeps_serving():
    def responder(request: ChatRequest, index: int) -> str:
        if request.messages[-1]["content"] == "fail":
            raise RuntimeError("scripted failure")
        return "fine"

    with LocalOpenAIServer(responder) as server:
        failed_status, failed = http(server, "/v1/chat/completions", chat("fail"))
        status, body = http(server, "/v1/chat/completions", chat("again"))
    assert failed_status == 500
    assert "RuntimeError: scripted failure" in failed["error"]["message"]
    assert (status, body["choices"][0]["message"]["content"]) == (200, "fine")
    assert len(server.requests) == 1


def test_requests_are_recorded_in_arrival_order_when_replies_finish_out_of_order():
    first_started = threading.Event()

    def responder(request: ChatRequest, index: int) -> str:
        if request.messages[-1]["content"] == "slow":
            first_started.set()
            deadline = time.monotonic() + 10
            while not server.requests and time.monotonic() < deadline:
                time.sleep(0.01)  # until the second request has been recorded
        return "done"

    with LocalOpenAIServer(responder) as server:
        slow = threading.Thread(target=http, args=(server, "/v1/chat/completions", chat("slow")))
        slow.start()
        first_started.wait(10)
        http(server, "/v1/chat/completions", chat("quick reply please"))
        slow.join(10)
    assert [record.prompt_tokens for record in server.requests] == [3, 5]  # 'slow' arrived first


def test_the_server_writes_nothing_to_stderr(capfd):
    with LocalOpenAIServer(numbered) as server:
        http(server, "/v1/chat/completions", chat("hi"))
        http(server, "/v1/unknown", chat("hi"))
    assert capfd.readouterr().err == ""


def test_inspect_finds_the_server_through_local_base_url(monkeypatch):
    with LocalOpenAIServer(numbered) as server:
        monkeypatch.setenv("LOCAL_BASE_URL", server.base_url)
        monkeypatch.setenv("LOCAL_API_KEY", "local")

        async def run() -> ModelOutput:
            async with get_model("openai-api/local/judge") as model:
                return await model.generate("hello")

        output = asyncio.run(run())
    assert output.completion == "reply number 0"


def test_after_stop_the_port_refuses_connections():
    server = LocalOpenAIServer(numbered).start()
    assert http(server, "/v1/models")[0] == 200
    server.stop()
    with pytest.raises(urllib.error.URLError) as error:
        http(server, "/v1/models")
    assert isinstance(error.value.reason, ConnectionRefusedError)


# ---- latency and faults -------------------------------------------------------------------------


def raw_post(server: LocalOpenAIServer, body: dict, timeout: float = 10) -> tuple[int, dict[str, str], bytes]:
    """POST a chat request and return (status, headers, body bytes) as sent, JSON or not."""
    request = urllib.request.Request(
        server.base_url + "/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def always(kind: str, **plan) -> FaultPlan:
    """A plan whose first request gets fault `kind` and whose later requests get none."""
    return FaultPlan(rate=0.0, kinds=(kind,), first=1, **plan)


def counting(request: ChatRequest, index: int) -> str:
    return "one two three four"


def test_concurrent_requests_wait_out_their_latency_together():
    with LocalOpenAIServer(numbered, latency=0.2) as server:
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda i: http(server, "/v1/chat/completions", chat(f"q{i}"))[0], range(8)))
        elapsed = time.monotonic() - started
    assert statuses == [200] * 8
    assert 0.2 <= elapsed < 8 * 0.2 / 2  # one after another would take 1.6 s


def test_latency_jitter_varies_each_wait_around_the_mean():
    waits = []
    with LocalOpenAIServer(numbered, latency=0.1, latency_jitter=0.5) as server:
        for i in range(6):
            started = time.monotonic()
            http(server, "/v1/chat/completions", chat(f"q{i}"))
            waits.append(time.monotonic() - started)
    assert all(0.05 <= wait < 0.4 for wait in waits)
    assert max(waits) - min(waits) > 0.005


@pytest.mark.parametrize("jitter", [-0.1, 1.5])
def test_a_jitter_outside_zero_to_one_is_refused(jitter):
    with pytest.raises(ValueError, match="latency_jitter must be between 0 and 1"):
        LocalOpenAIServer(numbered, latency=1.0, latency_jitter=jitter)


def test_a_429_fault_is_an_openai_rate_limit_error_with_retry_after_zero():
    with LocalOpenAIServer(numbered, faults=always("429")) as server:
        status, headers, body = raw_post(server, chat("hi"))
    assert status == 429
    assert {name.lower(): value for name, value in headers.items()}["retry-after"] == "0"
    error = json.loads(body)["error"]
    assert (error["type"], error["code"]) == ("requests", "rate_limit_exceeded")
    assert "Rate limit reached" in error["message"]


def test_a_500_fault_is_an_openai_server_error():
    with LocalOpenAIServer(numbered, faults=always("500")) as server:
        status, _, body = raw_post(server, chat("hi"))
    assert status == 500
    assert json.loads(body)["error"]["type"] == "server_error"


def test_a_timeout_fault_holds_the_connection_then_closes_it_without_a_response():
    with LocalOpenAIServer(numbered, faults=always("timeout", timeout_seconds=0.3)) as server:
        started = time.monotonic()
        with pytest.raises(RemoteDisconnected):
            raw_post(server, chat("hi"), timeout=10)
        held = time.monotonic() - started
    assert held >= 0.3
    assert server.attempts == [AttemptRecord("judge", "timeout", None)]


def test_a_client_with_a_shorter_timeout_than_a_timeout_fault_times_out():
    with LocalOpenAIServer(numbered, faults=always("timeout", timeout_seconds=30)) as server:
        with pytest.raises(TimeoutError):
            raw_post(server, chat("hi"), timeout=0.3)
        stop_started = time.monotonic()
    assert time.monotonic() - stop_started < 5  # stop() hangs up held connections at once


def test_a_malformed_json_fault_is_a_200_whose_body_is_a_cut_off_json_document():
    with LocalOpenAIServer(counting, faults=always("malformed_json")) as server:
        status, _, body = raw_post(server, chat("hi"))
    assert status == 200
    assert body.startswith(b'{"id": "chatcmpl-local-')
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)


def test_a_truncated_fault_cuts_the_reply_to_half_its_tokens_with_finish_reason_length():
    with LocalOpenAIServer(counting, faults=always("truncated")) as server:
        status, _, body = raw_post(server, chat("hi"))
    choice = json.loads(body)["choices"][0]
    assert status == 200
    assert (choice["message"]["content"], choice["finish_reason"]) == ("one two", "length")
    assert server.requests[0].completion_tokens == 2


def fault_sequence(plan: FaultPlan, requests: int = 200) -> list[str | None]:
    """The fault of each of `requests` chat requests, sent in order."""
    server = LocalOpenAIServer(numbered, faults=plan)
    body = json.dumps(chat("hi")).encode()
    for _ in range(requests):
        server.respond("POST", "/v1/chat/completions", body)
    return [attempt.fault for attempt in server.attempts]


def test_a_seeded_fault_plan_gives_the_same_fault_sequence_on_every_run():
    plan = FaultPlan(rate=0.5, kinds=("429", "500", "malformed_json", "truncated"), seed=7)
    first = fault_sequence(plan)
    assert fault_sequence(plan) == first
    assert fault_sequence(FaultPlan(rate=0.5, kinds=plan.kinds, seed=8)) != first


def test_a_fault_rate_of_one_half_faults_about_half_of_200_requests():
    faults = fault_sequence(FaultPlan(rate=0.5, kinds=("429", "500", "malformed_json", "truncated"), seed=7))
    faulted = sum(fault is not None for fault in faults)
    assert 70 <= faulted <= 130  # 200 × 0.5 ± 4 standard deviations (7.1 each)
    assert {fault for fault in faults if fault} == {"429", "500", "malformed_json", "truncated"}


def test_attempts_record_every_chat_request_and_requests_only_billed_completions():
    plan = FaultPlan(rate=0.0, kinds=("malformed_json",), first=2)
    with LocalOpenAIServer(numbered, faults=plan) as server:
        http(server, "/v1/chat/completions", b"{not json")  # invalid: a 400, and no fault drawn
        for _ in range(3):
            raw_post(server, chat("hi"))
    assert server.attempts == [
        AttemptRecord(None, None, 400),
        AttemptRecord("judge", "malformed_json", 200),
        AttemptRecord("judge", "malformed_json", 200),
        AttemptRecord("judge", None, 200),
    ]
    assert [record.model for record in server.requests] == ["judge"]


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (
            dict(rate=0.5, kinds=("404",)),
            "unknown fault kind\\(s\\) '404'; valid kinds: 429, 500, timeout, malformed_json, truncated",
        ),
        (dict(rate=0.5, kinds="429"), "valid kinds: 429, 500, timeout, malformed_json, truncated"),
        (dict(rate=0.5, kinds=()), "at least one fault; valid kinds: 429, 500, timeout"),
        (dict(rate=1.5), "rate must be a probability from 0 to 1"),
    ],
)
def test_a_bad_fault_plan_is_refused_listing_the_valid_kinds(plan, message):
    with pytest.raises(ValueError, match=message):
        FaultPlan(**plan)


def generate_with_retries(server: LocalOpenAIServer, config: GenerateConfig, **model_args) -> ModelOutput:
    """One generate call through Inspect's openai-api provider with a retry configuration."""

    async def run() -> ModelOutput:
        async with get_model("openai-api/local/x", base_url=server.base_url, api_key="local", **model_args) as model:
            return await model.generate("hi", config=config)

    return asyncio.run(run())


@pytest.mark.parametrize("kind", ["429", "500"])
def test_inspect_retries_a_rate_limit_or_server_error_and_succeeds(kind):
    with LocalOpenAIServer(counting, faults=always(kind)) as server:
        output = generate_with_retries(server, GenerateConfig(max_retries=5, timeout=2))
    assert output.completion == "one two three four"
    assert [(a.fault, a.status) for a in server.attempts] == [(kind, int(kind)), (None, 200)]
    assert len(server.requests) == 1


def test_the_openai_client_retries_twice_before_inspect_counts_a_retry():
    # Inspect's openai-api client keeps the SDK default of 2 retries; max_retries bounds only Inspect's own.
    with LocalOpenAIServer(counting, faults=FaultPlan(rate=0.0, kinds=("429",), first=2)) as server:
        output = generate_with_retries(server, GenerateConfig(max_retries=0, timeout=2))
    assert output.completion == "one two three four"
    assert [a.status for a in server.attempts] == [429, 429, 200]


def test_inspect_retries_a_request_its_client_timed_out():
    with LocalOpenAIServer(counting, faults=always("timeout", timeout_seconds=30)) as server:
        started = time.monotonic()
        output = generate_with_retries(server, GenerateConfig(max_retries=5, timeout=2), client_timeout=1)
        elapsed = time.monotonic() - started
    assert output.completion == "one two three four"
    assert [(a.fault, a.status) for a in server.attempts] == [("timeout", None), (None, 200)]
    assert elapsed < 10  # the client gave up after 1 s, long before the server would have hung up


def test_generate_config_timeout_does_not_cut_a_hung_request_short():
    # GenerateConfig.timeout bounds Inspect's retrying, not one request: the client waits until the
    # server hangs up, then the dropped connection is retried.
    with LocalOpenAIServer(counting, faults=always("timeout", timeout_seconds=2)) as server:
        started = time.monotonic()
        output = generate_with_retries(server, GenerateConfig(max_retries=5, timeout=1))
        elapsed = time.monotonic() - started
    assert output.completion == "one two three four"
    assert elapsed >= 2
    assert [(a.fault, a.status) for a in server.attempts] == [("timeout", None), (None, 200)]


def test_malformed_json_surfaces_through_inspect_as_an_error_that_is_not_retried():
    with LocalOpenAIServer(counting, faults=always("malformed_json")) as server:
        with pytest.raises(json.JSONDecodeError):
            generate_with_retries(server, GenerateConfig(max_retries=5, timeout=2))
    assert [(a.fault, a.status) for a in server.attempts] == [("malformed_json", 200)]


def test_inspect_reads_a_truncated_fault_as_stop_reason_max_tokens_without_retrying():
    with LocalOpenAIServer(counting, faults=always("truncated")) as server:
        output = generate_with_retries(server, GenerateConfig(max_retries=5, timeout=2))
    assert (output.completion, output.stop_reason) == ("one two", "max_tokens")
    assert len(server.attempts) == 1


# ---- stopping -----------------------------------------------------------------------------------

GENEROUS = 30
"""Seconds a test waits for a stop or a hang-up: far above the server's one-second bound, even on a busy
machine, and far below the 600 s that a request would otherwise be held."""


class ObservedServer(LocalOpenAIServer):
    """A server that tells when a request has reached it, so that a test can stop it mid-request."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.arrived = threading.Event()

    def respond(self, method: str, path: str, raw: bytes):
        self.arrived.set()
        return super().respond(method, path, raw)


def in_background(call) -> tuple[threading.Event, list]:
    """Run `call` on a daemon thread; the event is set once it returns or raises, its outcome then in the list."""
    done, outcome = threading.Event(), []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as error:
            outcome.append(error)
        finally:
            done.set()

    threading.Thread(target=run, daemon=True).start()
    return done, outcome


@pytest.mark.parametrize(
    ("setting", "attempts"),
    [
        (dict(latency=600), []),  # hung up before its fault was drawn: nothing attempted
        (dict(faults=always("timeout", timeout_seconds=600)), [AttemptRecord("judge", "timeout", None)]),
    ],
    ids=["waiting-out-its-latency", "held-by-a-timeout-fault"],
)
def test_stop_returns_at_once_and_hangs_up_a_request(setting, attempts):
    server = ObservedServer(numbered, **setting).start()
    try:
        request_done, request_outcome = in_background(lambda: raw_post(server, chat("hi"), timeout=2 * GENEROUS))
        assert server.arrived.wait(GENEROUS)
        stop_done, stop_outcome = in_background(server.stop)
        assert stop_done.wait(GENEROUS), "stop() did not return"
        assert request_done.wait(GENEROUS), "the request was not hung up"
    finally:
        server.stop()
    assert stop_outcome == [None]
    assert isinstance(request_outcome[0], ConnectionResetError)  # hung up unanswered (RemoteDisconnected is one)
    assert server.attempts == attempts


def test_stop_returns_at_once_and_hangs_up_a_client_that_sent_half_its_request():
    server = LocalOpenAIServer(numbered).start()
    address = urlsplit(server.base_url)
    try:
        with socket.create_connection((address.hostname, address.port), timeout=GENEROUS) as slow:
            slow.sendall(b'POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"model": ')
            # Connections are accepted in order: once a later one is answered, the slow one is being served.
            assert http(server, "/v1/models")[0] == 200
            stop_done, stop_outcome = in_background(server.stop)
            assert stop_done.wait(GENEROUS), "stop() did not return"
            with pytest.raises(ConnectionResetError):  # hung up unanswered (RemoteDisconnected is one)
                HTTPResponse(slow).begin()
    finally:
        server.stop()
    assert stop_outcome == [None]
    assert server.attempts == []
