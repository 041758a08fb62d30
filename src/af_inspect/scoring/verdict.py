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
import re
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
    """Read the last `<verdict-CODE>` block of a judge reply as a JSON object of `schema`.

    Raises:
        VerdictError: reasons `empty_reply`, `no_verdict`, `unparseable_verdict` (not one JSON
            object) or `invalid_verdict` (a key missing, of the wrong type or out of range).
    """
    if not reply.strip():
        raise VerdictError("empty_reply", "the judge returned an empty reply")
    pattern = re.compile(rf"<verdict-{re.escape(code)}>(.*?)</verdict-{re.escape(code)}>", re.DOTALL)
    blocks = pattern.findall(reply)
    if not blocks:
        raise VerdictError("no_verdict", f"the reply has no <verdict-{code}> block")
    body = _strip_code_fence(blocks[-1].strip())
    try:
        data = json.loads(body)
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


def _strip_code_fence(body: str) -> str:
    """Judges sometimes wrap JSON in a markdown fence despite being asked not to; that is harmless."""
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", body, re.DOTALL)
    return fenced.group(1) if fenced else body
