"""Hand a transcript to a judge behind unforgeable delimiters, and read back only the judge's verdict.

The transcript under judgement is adversarial data: a model can write fake verdict tags or
instructions to the judge. Each request gets a fresh random code; the material sits in blocks
tagged with it (`<reasoning-3f9a1c2e>`) and the verdict is read only from a block tagged with it
(`<verdict-3f9a1c2e>`), which text written before the code existed cannot contain. The verdict is
one JSON object, validated against the judge's schema; anything else is a `VerdictError` with a
reason, never a guess.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

SchemaT = TypeVar("SchemaT", bound=BaseModel)

CODE_HEX_DIGITS = 8


class VerdictError(ValueError):
    """A judge reply that yields no verdict. `reason` is machine-readable, the message says why."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class JudgeMaterial:
    """The user message of one judge request and the code its verdict must carry."""

    code: str
    text: str


def judge_material(blocks: Mapping[str, str]) -> JudgeMaterial:
    """Wrap each named block (`request`, `reasoning`, `final_output`) in tags carrying a fresh code.

    The code is drawn again in the vanishing case that it already occurs in the material, so the
    material can never contain its own closing tag or a verdict tag.
    """
    joined = "\n".join(blocks.values())
    code = secrets.token_hex(CODE_HEX_DIGITS // 2)
    while code in joined:
        code = secrets.token_hex(CODE_HEX_DIGITS // 2)
    parts = [f"<{name}-{code}>\n{content}\n</{name}-{code}>" for name, content in blocks.items()]
    parts.append(f"Write your verdict inside <verdict-{code}></verdict-{code}>, using the code above.")
    return JudgeMaterial(code=code, text="\n\n".join(parts))


@dataclass(frozen=True)
class Verdict(Generic[SchemaT]):
    """A validated verdict and the reply it came from."""

    value: SchemaT
    reply: str


def parse_verdict(reply: str, code: str, schema: type[SchemaT]) -> Verdict[SchemaT]:
    """Read the one `<verdict-CODE>` block of a judge reply as a JSON object of `schema`.

    Nothing ambiguous is resolved by a rule such as "the last one wins": two blocks that both say
    something, or a key given twice, make the vote invalid. A blank block (a judge echoing the
    instruction `<verdict-CODE></verdict-CODE>`) says nothing and is passed over.

    Raises:
        VerdictError: reasons `empty_reply`, `no_verdict`, `several_verdicts`, `unparseable_verdict`
            (not one JSON object), `duplicate_key` or `invalid_verdict` (a key missing, of the wrong
            type or out of range).
    """
    if not reply.strip():
        raise VerdictError("empty_reply", "the judge returned an empty reply")
    blocks = [block for block in _blocks(reply, f"<verdict-{code}>", f"</verdict-{code}>") if block.strip()]
    if not blocks:
        raise VerdictError("no_verdict", f"the reply has no <verdict-{code}> block with a verdict in it")
    if len(blocks) > 1:
        raise VerdictError(
            "several_verdicts", f"the reply has {len(blocks)} <verdict-{code}> blocks; which one counts is ambiguous"
        )
    body = _strip_code_fence(blocks[0].strip())
    try:
        data = json.loads(body, object_pairs_hook=_refuse_duplicate_keys)
    except _DuplicateKey as error:
        raise VerdictError("duplicate_key", f"the verdict gives {error.key!r} more than once: {body[:200]!r}") from None
    except json.JSONDecodeError as error:
        raise VerdictError("unparseable_verdict", f"the verdict is not JSON ({error.msg}): {body[:200]!r}") from error
    if not isinstance(data, dict):
        raise VerdictError("unparseable_verdict", f"the verdict is not a JSON object: {body[:200]!r}")
    try:
        return Verdict(value=schema.model_validate(data), reply=reply)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in issue['loc']) or 'verdict'}: {issue['msg']}" for issue in error.errors()
        )
        raise VerdictError("invalid_verdict", f"the verdict does not fit the schema: {problems}") from error


def _blocks(reply: str, opening: str, closing: str) -> list[str]:
    """The text of each opening…closing pair, left to right, in one pass (a pattern with a lazy `.*?`
    rescans to the end from every unclosed opening tag, which is quadratic).
    """
    blocks: list[str] = []
    position = 0
    while (start := reply.find(opening, position)) >= 0:
        end = reply.find(closing, start + len(opening))
        if end < 0:
            break  # no closing tag after this one, so none after any later opening either
        blocks.append(reply[start + len(opening) : end])
        position = end + len(closing)
    return blocks


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _refuse_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """`json.loads` keeps the last of two equal keys; a verdict that says two things is refused instead."""
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _strip_code_fence(body: str) -> str:
    """Judges sometimes wrap JSON in a markdown fence despite being asked not to; that is harmless."""
    if len(body) >= 6 and body.startswith("```") and body.endswith("```"):
        inner = body[3:-3]
        return (inner[4:] if inner.startswith("json") else inner).strip()
    return body
