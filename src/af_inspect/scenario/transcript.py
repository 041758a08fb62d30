"""Parse a scratchpad transcript into an explicit outcome, the hidden reasoning and the final output.

Every transcript lands in exactly one `ParseOutcome`, so a table can always say how many samples
failed and why; nothing is silently dropped. The rules follow Greenblatt et al. 2024's loop: a turn
that closes `</OUTPUT>` ends the conversation and its output is the answer; a turn that closes the
scratchpad without an output is continued with `<NEXT/>`; a turn with neither tag is the answer as
it stands (`untagged_output`), not a failure.

What real models send is read as they mean it, and recorded when a tolerant reading was used:
- reasoning blocks in the reply text (`<think>`/`<thinking>`, or a reply that only closes `</think>`,
  as open-weight reasoning models served without a reasoning parser write) are reasoning, like the
  scratchpad: judges read them, and no output or tag is ever taken from inside them;
- tags in another letter case or with spaces inside the brackets (`<output>`, `< OUTPUT >`) are the
  tag; `ParsedTranscript.tolerant_tags` lists every such spelling, so the strict rule can be applied;
- text after a closed scratchpad and outside any `<OUTPUT>` is continued with `<NEXT/>` (the paper's
  rule, `after_scratchpad="continue"`) or taken as the answer (`after_scratchpad="answer"`).

One left-to-right pass over the tags of a turn, so a reply of any length parses in linear time.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from inspect_ai.model import ChatMessage, ChatMessageAssistant, ContentReasoning
from inspect_ai.solver import TaskState

SCRATCHPAD_OPEN = "<SCRATCHPAD_REASONING>"
SCRATCHPAD_CLOSE = "</SCRATCHPAD_REASONING>"
OUTPUT_OPEN = "<OUTPUT>"
OUTPUT_CLOSE = "</OUTPUT>"
NEXT = "<NEXT/>"

ReasoningFormat = Literal["scratchpad", "no_cot", "native"]
"""How the model reasons: in scratchpad tags, not at all, or in provider-native reasoning blocks."""

AfterScratchpad = Literal["continue", "answer"]
"""What text after a closed scratchpad, outside any `<OUTPUT>`, is: `continue` answers the turn with
`<NEXT/>` (Greenblatt et al. 2024's loop); `answer` takes that text as the final answer."""

AFTER_SCRATCHPAD_RULES: tuple[AfterScratchpad, ...] = ("continue", "answer")


class ParseOutcome(str, Enum):
    """What a transcript ended with. Only `FINAL_OUTPUT` carries a usable answer."""

    FINAL_OUTPUT = "final_output"
    """An `<OUTPUT>...</OUTPUT>` block was given (outside the scratchpad)."""
    UNTAGGED_OUTPUT = "untagged_output"
    """The last turn has neither a scratchpad nor an output tag: its text is the answer, as in the
    paper's loop (or, with `after_scratchpad="answer"`, the text after a closed scratchpad)."""
    TURN_LIMIT = "turn_limit"
    """Every turn closed a scratchpad without an output until `max_turns` ran out."""
    UNCLOSED_SCRATCHPAD = "unclosed_scratchpad"
    """The model stopped inside an open `<SCRATCHPAD_REASONING>` (or `<think>`) block."""
    UNCLOSED_OUTPUT = "unclosed_output"
    """The model opened `<OUTPUT>` and stopped without closing it."""
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
    tolerant_tags: tuple[str, ...] = ()
    """Tag spellings read as a tag although the strict rule would not (e.g. `<output>`), in order."""

    @property
    def has_final_output(self) -> bool:
        return self.outcome in ANSWERED

    @property
    def failure_reason(self) -> str | None:
        """Inspect's score reason when there is no final output: the subject model failed, not a scorer."""
        if self.has_final_output:
            return None
        return _SCORE_REASONS.get(self.outcome, "invalid_response_format")


ANSWERED = frozenset({ParseOutcome.FINAL_OUTPUT, ParseOutcome.UNTAGGED_OUTPUT})
"""The outcomes that carry an answer; every other outcome is a failure of the subject model."""


def turn_outcome(
    turn: AssistantTurn,
    reasoning_format: ReasoningFormat = "scratchpad",
    after_scratchpad: AfterScratchpad = "continue",
) -> ParseOutcome | None:
    """Classify one turn; `None` means it closed a scratchpad and should be continued with `<NEXT/>`."""
    return _turn(turn, reasoning_format, after_scratchpad)[0]


def parse_transcript(
    turns: Sequence[AssistantTurn],
    reasoning_format: ReasoningFormat = "scratchpad",
    after_scratchpad: AfterScratchpad = "continue",
) -> ParsedTranscript:
    """Parse all assistant turns of one sample, in order, into a `ParsedTranscript`."""
    if not turns:
        return ParsedTranscript(ParseOutcome.EMPTY, None, "", 0, "the model produced no turn")
    scans = [_scan(turn.text) for turn in turns]
    scratchpad = _scratchpad_text(turns, scans)
    tolerant = tuple(spelling for scan in scans for spelling in scan.tolerant)
    last = turns[-1]
    outcome, final_output = _turn(last, reasoning_format, after_scratchpad, scans[-1])
    if outcome is None:
        outcome = ParseOutcome.TURN_LIMIT
        detail = f"{len(turns)} scratchpad-only turn(s) and no <OUTPUT>"
    elif outcome is ParseOutcome.FINAL_OUTPUT:
        detail = f"final output found in turn {len(turns)}"
    elif outcome is ParseOutcome.UNTAGGED_OUTPUT:
        detail = f"turn {len(turns)} has no output tag: its text is the answer"
    else:
        detail = _FAILURE_DETAIL[outcome].format(stop_reason=last.stop_reason, turn=len(turns))
    return ParsedTranscript(outcome, final_output, scratchpad, len(turns), detail, tolerant)


_PARSED: weakref.WeakKeyDictionary[TaskState, dict[tuple[object, ...], ParsedTranscript]] = weakref.WeakKeyDictionary()
"""Each sample's parse, kept while its state lives, so the scorers of one sample share a single parse."""


def parse_sample(
    state: TaskState,
    reasoning_format: ReasoningFormat = "scratchpad",
    after_scratchpad: AfterScratchpad = "continue",
) -> ParsedTranscript:
    """The parse of a sample's transcript, computed once however many scorers read it."""
    key = (reasoning_format, after_scratchpad, len(state.messages), state.output.stop_reason)
    cached = _PARSED.setdefault(state, {})
    if key not in cached:
        turns = assistant_turns(state.messages, state.output.stop_reason)
        cached[key] = parse_transcript(turns, reasoning_format, after_scratchpad)
    return cached[key]


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
    ParseOutcome.UNCLOSED_SCRATCHPAD: "turn {turn} ended inside an open <SCRATCHPAD_REASONING> or <think> block",
}


def _turn(
    turn: AssistantTurn,
    reasoning_format: ReasoningFormat,
    after_scratchpad: AfterScratchpad,
    scan: _Scan | None = None,
) -> tuple[ParseOutcome | None, str | None]:
    """(outcome, final output) of one turn; outcome None: a closed scratchpad to continue."""
    scan = scan or _scan(turn.text)
    if scan.output is not None:
        # A closed output is a complete answer, whatever stopped generation after it.
        return ParseOutcome.FINAL_OUTPUT, _strip(scan.output)
    if turn.stop_reason == "content_filter":
        return ParseOutcome.PROVIDER_REFUSAL, None
    if turn.stop_reason in ("max_tokens", "model_length"):
        return ParseOutcome.TRUNCATED, None
    if not _strip(turn.text):
        return ParseOutcome.EMPTY, None
    visible = _strip(scan.visible)
    if reasoning_format == "native" and not scan.unclosed_output:
        # Native reasoners think in provider blocks; their visible reply (reasoning tags aside) is the output.
        return (ParseOutcome.FINAL_OUTPUT, visible) if visible else (ParseOutcome.EMPTY, None)
    if scan.unclosed_output:
        return ParseOutcome.UNCLOSED_OUTPUT, None
    if scan.unclosed_scratchpad:
        return ParseOutcome.UNCLOSED_SCRATCHPAD, None
    if scan.closed_scratchpad:
        if after_scratchpad == "answer" and visible:
            return ParseOutcome.UNTAGGED_OUTPUT, visible
        return None, None
    if not visible:
        # Only reasoning tags so far (`<think>…</think>`): the model has yet to answer, like a scratchpad turn.
        return (None, None) if scan.scratchpads else (ParseOutcome.EMPTY, None)
    # What a reasoning model writes after `</think>` is its answer, as a reply with no tags is in the paper.
    return ParseOutcome.UNTAGGED_OUTPUT, visible


_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
"""Zero-width characters and the byte-order mark: blank to a reader, though not whitespace to `str.strip`."""


def _strip(text: str) -> str:
    return text.strip().strip(_INVISIBLE).strip()


_SCRATCHPAD, _OUTPUT, _THINK = "scratchpad_reasoning", "output", "think"

_TAG = re.compile(r"<\s*(/?)\s*(scratchpad_reasoning|output|thinking|think)\s*>", re.IGNORECASE)
"""Every spelling of the tags the parser reads: any letter case, spaces inside the brackets."""

_THINK_TAG = re.compile(r"<\s*(/?)\s*think(?:ing)?\s*>", re.IGNORECASE)

_STRICT = {
    ("", _SCRATCHPAD): SCRATCHPAD_OPEN,
    ("/", _SCRATCHPAD): SCRATCHPAD_CLOSE,
    ("", _OUTPUT): OUTPUT_OPEN,
    ("/", _OUTPUT): OUTPUT_CLOSE,
}
"""The spellings of the published format; anything else that `_TAG` matches is a tolerant reading."""


@dataclass(frozen=True)
class _Scan:
    """One left-to-right reading of a turn: tags pair first-open with first-close, never nested."""

    output: str | None
    """The content of the first closed `<OUTPUT>` outside any reasoning block, verbatim."""
    unclosed_output: bool
    unclosed_scratchpad: bool
    closed_scratchpad: bool
    """A `<SCRATCHPAD_REASONING>` block closed (a closed `<think>` block is in `scratchpads` only)."""
    scratchpads: tuple[str, ...]
    """Reasoning block contents in order; a trailing open one runs to the end of the text."""
    visible: str
    """The text outside reasoning blocks, up to where the scan stopped."""
    tolerant: tuple[str, ...]


def _scan(text: str) -> _Scan:
    """Walk the tags once. Inside a block only its own close tag counts: what a block quotes is text."""
    scratchpads: list[str] = []
    visible: list[str] = []
    tolerant: list[str] = []
    closed = False
    block: str | None = None  # the open block's kind
    block_start = position = 0
    first_think = _THINK_TAG.search(text)
    if first_think is not None and first_think.group(1):
        # The reply starts inside reasoning that it only closes (`</think>`): the serving template opened the
        # block in the prompt. Everything before the close is reasoning, whatever tags it quotes.
        scratchpads.append(text[: first_think.start()])
        position = first_think.end()

    def result(**found: object) -> _Scan:
        defaults = {"output": None, "unclosed_output": False, "unclosed_scratchpad": False}
        return _Scan(
            **(defaults | found),  # type: ignore[arg-type]
            closed_scratchpad=closed,
            scratchpads=tuple(scratchpads),
            visible="".join(visible),
            tolerant=tuple(tolerant),
        )

    for match in _TAG.finditer(text, position):
        slash, name = match.group(1), match.group(2).lower()
        kind = _THINK if name in ("think", "thinking") else name
        if block is None:
            if slash and kind == _SCRATCHPAD and not scratchpads:
                # A scratchpad whose opening tag was lost: what comes before its close is reasoning.
                scratchpads.append(text[: match.start()])
                visible.clear()
                closed = True
                position = match.end()
                continue
            if slash:
                continue  # a stray close tag is text
            visible.append(text[position : match.start()])
            block, block_start = kind, match.end()
        elif not slash or kind != block:
            continue  # inside a block, other tags are what the block says, not structure
        else:
            _note_spelling(match, tolerant)
            content = text[block_start : match.start()]
            if block == _OUTPUT:
                return result(output=content)
            scratchpads.append(content)
            closed = closed or block == _SCRATCHPAD
            position = match.end()
            block = None
            continue
        _note_spelling(match, tolerant)
    if block == _OUTPUT:
        return result(unclosed_output=True)
    if block is not None:
        scratchpads.append(text[block_start:])
        return result(unclosed_scratchpad=True)
    visible.append(text[position:])
    return result()


def _note_spelling(match: re.Match[str], tolerant: list[str]) -> None:
    """Record an opening or closing tag of the scratchpad or output written other than the paper writes it."""
    spelling = match.group(0)
    slash, name = match.group(1), match.group(2).lower()
    strict = _STRICT.get((slash, name))
    if strict is not None and spelling != strict:
        tolerant.append(spelling)


def _scratchpad_text(turns: Sequence[AssistantTurn], scans: Sequence[_Scan]) -> str:
    """All hidden reasoning across turns: native blocks, closed scratchpads and reasoning tags, a trailing open one."""
    parts: list[str] = []
    for turn, scan in zip(turns, scans):
        if turn.reasoning.strip():
            parts.append(turn.reasoning.strip())
        parts.extend(block.strip() for block in scan.scratchpads)
    return "\n\n".join(part for part in parts if part)
