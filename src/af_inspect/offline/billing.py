"""How the stand-in server bills a request, as OpenAI does: stand-in tokens and automatic prefix caching.

Tokens are counted by `count_tokens`, an approximate stand-in for a real tokenizer: the counts are
exact for this server, not for any real model.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\d+|[^\W\d]+|[^\w\s]")
"""A stand-in token: a run of digits, a run of letters (or underscores), or one other visible character."""


def count_tokens(text: str) -> int:
    """Number of stand-in tokens in `text`: words, numbers and single punctuation characters.

    Deterministic and approximate: it is not any real model's tokenizer.
    """
    return sum(1 for _ in _TOKEN.finditer(text))


def tokens_of(text: str) -> list[str]:
    """The stand-in tokens of `text`, in order."""
    return _TOKEN.findall(text)


def cut_to_tokens(text: str, max_tokens: int) -> str:
    """`text` cut after its first `max_tokens` tokens (whitespace between them kept as sent)."""
    if max_tokens <= 0:
        return ""
    for count, match in enumerate(_TOKEN.finditer(text), start=1):
        if count == max_tokens:
            return text[: match.end()]
    return text


@dataclass(frozen=True)
class RequestRecord:
    """What one request was billed: for benchmarks and assertions."""

    model: str
    n_requested: int
    n_returned: int
    prompt_tokens: int
    cached_tokens: int
    completion_tokens: int


class PrefixCache:
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
