"""What a chat-completions request is to the stand-ins: the parsed request, the responder, the error body.

Its own module so that the server, the fault plan, the organism and the scripted grader share these
types without importing each other.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_CHOICES = 128
"""The largest `n` accepted, as on OpenAI."""


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

    def reply(self) -> tuple[int, dict[str, Any]]:
        """(HTTP status, JSON error body)."""
        return self.status, self.body()


def answer_or_error(answer: Callable[[], dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    """(200, the answer), or the error body of whatever it raised: the server never crashes on a request."""
    try:
        return 200, answer()
    except ErrorResponse as error:
        return error.reply()
    except Exception as error:
        message = f"server error: {type(error).__name__}: {error}"
        return ErrorResponse(500, message, "server_error").reply()


def is_int(value: object) -> bool:
    """An int that is not a bool: JSON `true` is not a count."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> bool:
    """An int or float that is not a bool."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
        elif not is_int(n) or not 1 <= n <= MAX_CHOICES:
            raise ErrorResponse(400, f"'n' must be an integer from 1 to {MAX_CHOICES}, got {n!r}")
        temperature = body.get("temperature")
        if temperature is not None and not is_number(temperature):
            raise ErrorResponse(400, f"'temperature' must be a number, got {temperature!r}")
        max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
        if max_tokens is not None and (not is_int(max_tokens) or max_tokens < 1):
            raise ErrorResponse(400, f"'max_tokens' must be an integer >= 1, got {max_tokens!r}")
        return cls(
            model=model,
            messages=body["messages"],
            n=n,
            temperature=temperature,
            max_tokens=max_tokens,
            body=body,
        )


def model_named_in(raw: bytes) -> str | None:
    """The `model` of a request body that may be invalid, for the attempt record."""
    try:
        body = json.loads(raw)
    except ValueError:
        return None
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) else None


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
