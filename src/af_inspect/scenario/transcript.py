"""Parse a scratchpad transcript into an explicit outcome, the hidden reasoning and the final output.

Every transcript lands in exactly one `ParseOutcome`, so a table can always say how many samples
failed and why; nothing is silently dropped. The rules follow Greenblatt et al. 2024's notebook: a
turn that closes `</OUTPUT>` ends the conversation, a turn that closes the scratchpad without an
output is continued with `<NEXT/>`, and a turn with neither is a format failure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from inspect_ai.model import ChatMessage, ChatMessageAssistant, ContentReasoning

SCRATCHPAD_OPEN = "<SCRATCHPAD_REASONING>"
SCRATCHPAD_CLOSE = "</SCRATCHPAD_REASONING>"
OUTPUT_OPEN = "<OUTPUT>"
OUTPUT_CLOSE = "</OUTPUT>"
NEXT = "<NEXT/>"

ReasoningFormat = Literal["scratchpad", "no_cot", "native"]
"""How the model reasons: in scratchpad tags, not at all, or in provider-native reasoning blocks."""


class ParseOutcome(str, Enum):
    """What a transcript ended with. Only `FINAL_OUTPUT` carries a usable answer."""

    FINAL_OUTPUT = "final_output"
    """An `<OUTPUT>...</OUTPUT>` block was given (outside the scratchpad)."""
    TURN_LIMIT = "turn_limit"
    """Every turn closed a scratchpad without an output until `max_turns` ran out."""
    UNCLOSED_SCRATCHPAD = "unclosed_scratchpad"
    """The model stopped inside an open `<SCRATCHPAD_REASONING>` block."""
    UNCLOSED_OUTPUT = "unclosed_output"
    """The model opened `<OUTPUT>` and stopped without closing it."""
    NO_OUTPUT_TAG = "no_output_tag"
    """The model stopped with text that has neither a closed scratchpad nor an output."""
    TRUNCATED = "truncated"
    """Generation hit `max_tokens` or the context length before the output closed."""
    EMPTY = "empty"
    """The model returned nothing."""
    PROVIDER_REFUSAL = "provider_refusal"
    """The provider stopped with a content filter or refusal before a closed output."""


@dataclass(frozen=True)
class AssistantTurn:
    """One assistant turn as the parser needs it, independent of Inspect's message types."""

    text: str
    reasoning: str = ""
    stop_reason: str = "stop"


@dataclass(frozen=True)
class ParsedTranscript:
    """The parse of a whole transcript: what the judges read and what the scorers count."""

    outcome: ParseOutcome
    final_output: str | None
    scratchpad: str
    turns: int
    detail: str

    @property
    def has_final_output(self) -> bool:
        return self.outcome is ParseOutcome.FINAL_OUTPUT

    @property
    def failure_reason(self) -> str | None:
        """Inspect's score reason when there is no final output: the subject model failed, not a scorer."""
        if self.has_final_output:
            return None
        return _SCORE_REASONS.get(self.outcome, "invalid_response_format")


def turn_outcome(turn: AssistantTurn, reasoning_format: ReasoningFormat = "scratchpad") -> ParseOutcome | None:
    """Classify one turn; `None` means it closed a scratchpad and should be continued with `<NEXT/>`."""
    scan = _scan(turn.text)
    if scan.output is not None:
        # A closed output is a complete answer, whatever stopped generation after it.
        return ParseOutcome.FINAL_OUTPUT
    if turn.stop_reason == "content_filter":
        return ParseOutcome.PROVIDER_REFUSAL
    if turn.stop_reason in ("max_tokens", "model_length"):
        return ParseOutcome.TRUNCATED
    if not turn.text.strip():
        return ParseOutcome.EMPTY
    if reasoning_format == "native" and not scan.unclosed_output:
        # Native reasoners think in provider blocks; their visible reply is the output.
        return ParseOutcome.FINAL_OUTPUT
    if scan.unclosed_output:
        return ParseOutcome.UNCLOSED_OUTPUT
    if scan.unclosed_scratchpad:
        return ParseOutcome.UNCLOSED_SCRATCHPAD
    if scan.closed_scratchpad:
        return None
    return ParseOutcome.NO_OUTPUT_TAG


def parse_transcript(
    turns: Sequence[AssistantTurn], reasoning_format: ReasoningFormat = "scratchpad"
) -> ParsedTranscript:
    """Parse all assistant turns of one sample, in order, into a `ParsedTranscript`."""
    scratchpad = _scratchpad_text(turns)
    if not turns:
        return ParsedTranscript(ParseOutcome.EMPTY, None, "", 0, "the model produced no turn")
    last = turns[-1]
    outcome = turn_outcome(last, reasoning_format)
    final_output: str | None = None
    if outcome is None:
        outcome = ParseOutcome.TURN_LIMIT
        detail = f"{len(turns)} scratchpad-only turn(s) and no <OUTPUT>"
    elif outcome is ParseOutcome.FINAL_OUTPUT:
        final_output = _final_output(last.text, reasoning_format)
        detail = f"final output found in turn {len(turns)}"
    else:
        detail = _FAILURE_DETAIL[outcome].format(stop_reason=last.stop_reason, turn=len(turns))
    return ParsedTranscript(outcome, final_output, scratchpad, len(turns), detail)


def assistant_turns(messages: Sequence[ChatMessage], final_stop_reason: str) -> list[AssistantTurn]:
    """Turn Inspect messages into parser turns; only the last turn can have stopped abnormally."""
    assistant = [m for m in messages if isinstance(m, ChatMessageAssistant)]
    return [
        AssistantTurn(
            text=message.text,
            reasoning=reasoning_text(message),
            stop_reason=final_stop_reason if index == len(assistant) - 1 else "stop",
        )
        for index, message in enumerate(assistant)
    ]


def reasoning_text(message: ChatMessageAssistant) -> str:
    """Provider-native reasoning of a message; redacted reasoning is marked, not dropped."""
    if isinstance(message.content, str):
        return ""
    parts = []
    for content in message.content:
        if isinstance(content, ContentReasoning):
            parts.append("[redacted reasoning]" if content.redacted else content.reasoning)
    return "\n\n".join(parts)


_SCORE_REASONS = {ParseOutcome.EMPTY: "no_response", ParseOutcome.PROVIDER_REFUSAL: "refusal"}

_FAILURE_DETAIL = {
    ParseOutcome.TRUNCATED: "turn {turn} stopped with '{stop_reason}' before </OUTPUT>",
    ParseOutcome.EMPTY: "turn {turn} is empty",
    ParseOutcome.PROVIDER_REFUSAL: "turn {turn} was stopped by the provider ('{stop_reason}')",
    ParseOutcome.UNCLOSED_OUTPUT: "turn {turn} opened <OUTPUT> but never closed it",
    ParseOutcome.UNCLOSED_SCRATCHPAD: "turn {turn} ended inside an open <SCRATCHPAD_REASONING>",
    ParseOutcome.NO_OUTPUT_TAG: "turn {turn} has neither a closed scratchpad nor an <OUTPUT> tag",
}


@dataclass(frozen=True)
class _Scan:
    """One left-to-right reading of a turn: tags pair first-open with first-close, never nested."""

    output: str | None
    """The content of the first closed `<OUTPUT>` outside any scratchpad, verbatim."""
    unclosed_output: bool
    unclosed_scratchpad: bool
    closed_scratchpad: bool
    scratchpads: tuple[str, ...]
    """Scratchpad contents in order; a trailing open one runs to the end of the text."""
    visible: str
    """The text outside scratchpads, up to where the scan stopped."""


def _scan(text: str) -> _Scan:
    position = 0
    scratchpads: list[str] = []
    visible: list[str] = []
    closed = False

    def result(**found: object) -> _Scan:
        defaults = {"output": None, "unclosed_output": False, "unclosed_scratchpad": False}
        return _Scan(
            **(defaults | found),
            closed_scratchpad=closed,
            scratchpads=tuple(scratchpads),  # type: ignore[arg-type]
            visible="".join(visible),
        )

    while True:
        pad = text.find(SCRATCHPAD_OPEN, position)
        out = text.find(OUTPUT_OPEN, position)
        if pad == -1 and out == -1:
            visible.append(text[position:])
            return result()
        if out == -1 or (pad != -1 and pad < out):
            visible.append(text[position:pad])
            start = pad + len(SCRATCHPAD_OPEN)
            end = text.find(SCRATCHPAD_CLOSE, start)
            if end == -1:
                scratchpads.append(text[start:])
                return result(unclosed_scratchpad=True)
            scratchpads.append(text[start:end])
            closed = True
            position = end + len(SCRATCHPAD_CLOSE)
        else:
            visible.append(text[position:out])
            start = out + len(OUTPUT_OPEN)
            end = text.find(OUTPUT_CLOSE, start)
            if end == -1:
                return result(unclosed_output=True)
            return result(output=text[start:end])


def _final_output(text: str, reasoning_format: ReasoningFormat) -> str:
    scan = _scan(text)
    if scan.output is not None:
        return scan.output.strip()
    # Only native reasoning reaches here: the visible reply, without any scratchpad, is the output.
    return scan.visible.strip() if reasoning_format == "native" else ""


def _scratchpad_text(turns: Sequence[AssistantTurn]) -> str:
    """All hidden reasoning across turns: native blocks, closed scratchpads and a trailing open one."""
    parts: list[str] = []
    for turn in turns:
        if turn.reasoning.strip():
            parts.append(turn.reasoning.strip())
        parts.extend(block.strip() for block in _scan(turn.text).scratchpads)
    return "\n\n".join(part for part in parts if part)
