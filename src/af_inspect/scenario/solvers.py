"""Solvers: the scenario setup (system prompt, condition cue) and the reasoning loop.

The setup solvers go in `Task(setup=...)`, so a `--solver` override still runs inside the scenario.
They insert text directly: Inspect's template solvers would rewrite `{...}` inside prompt text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser, ContentText
from inspect_ai.solver import Generate, Solver, TaskState, solver

from af_inspect.scenario.conditions import (
    ACCEPTANCE_INSTRUCTION,
    DEFAULT_CONDITION_SET,
    CueStyle,
    CueTag,
    condition_set,
    user_turn,
)
from af_inspect.scenario.transcript import (
    NEXT,
    OUTPUT_OPEN,
    AfterScratchpad,
    AssistantTurn,
    ReasoningFormat,
    reasoning_text,
    turn_outcome,
)

PREFILL_PROVIDERS = frozenset({"anthropic", "af-local"})
"""Providers whose APIs continue a trailing assistant message (prefill) rather than answer after it."""

PrefillPolicy = Literal["supported", "all_but_openai", "always", "never"]
"""When each assistant turn is prefilled: where the provider continues a prefill (`PREFILL_PROVIDERS`,
ours), for every provider but OpenAI's (Greenblatt et al.'s minimal reproduction), always, or never."""

PREFILL_POLICIES: tuple[str, ...] = ("supported", "all_but_openai", "always", "never")


def prefill_policy(value: PrefillPolicy | bool) -> PrefillPolicy:
    """A policy name, or `true`/`false` for always/never, as `-T prefill=` may give it."""
    if value is True or value is False:
        return "always" if value else "never"
    if value not in PREFILL_POLICIES:
        raise ValueError(f"prefill={value!r} is not valid; choose one of: {', '.join(PREFILL_POLICIES)}, true, false")
    return value


def prefills(policy: PrefillPolicy, provider: str) -> bool:
    """Whether a turn sent to `provider` (Inspect's model API name) is prefilled under `policy`."""
    return {
        "supported": provider in PREFILL_PROVIDERS,
        "all_but_openai": provider != "openai",
        "always": True,
        "never": False,
    }[policy]


PREFILL_TEXT: dict[str, str] = {"scratchpad": "<", "no_cot": OUTPUT_OPEN}
"""Greenblatt et al. 2024 prefill `<` so the reply opens with a tag; no-CoT prefills `<OUTPUT>`."""


@solver
def scenario_system_prompt(text: str | Sequence[str]) -> Solver:
    """Put the scenario's system prompt first, replacing any system message the sample had.

    Given several prompts (paraphrases), each sample gets the one its `paraphrase` metadata names.
    """
    prompts = [text] if isinstance(text, str) else list(text)
    if not prompts:
        raise ValueError("scenario_system_prompt needs at least one system prompt")

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        chosen = prompts[state.metadata.get("paraphrase", 0)] if len(prompts) > 1 else prompts[0]
        state.messages = [ChatMessageSystem(content=chosen)] + [
            m for m in state.messages if not isinstance(m, ChatMessageSystem)
        ]
        return state

    return solve


@solver
def condition_cue(
    cue_style: CueStyle = "greenblatt",
    acceptance_instruction: str | None = ACCEPTANCE_INSTRUCTION,
    cue: CueTag = "tier",
    conditions: str = DEFAULT_CONDITION_SET,
) -> Solver:
    """Rewrite the user turn into the `<INPUT>` block that carries the sample's condition cue.

    `conditions` names the condition set the samples were built with (`samples.paired_samples`).
    """
    arms = condition_set(conditions)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        condition = arms[state.metadata["condition"]]
        text = user_turn(
            state.input_text, condition, cue_style=cue_style, acceptance_instruction=acceptance_instruction, cue=cue
        )
        users = [i for i, m in enumerate(state.messages) if isinstance(m, ChatMessageUser)]
        if not users:
            raise ValueError(f"sample {state.sample_id} has no user message to put the cue in")
        state.messages[users[0]] = ChatMessageUser(content=text)
        return state

    return solve


@solver
def reasoning_loop(
    reasoning: ReasoningFormat = "scratchpad",
    max_turns: int = 4,
    prefill: PrefillPolicy | bool = "supported",
    opening: str | None = None,
    after_scratchpad: AfterScratchpad = "continue",
) -> Solver:
    """Generate until the model gives an answer, answering scratchpad-only turns with `<NEXT/>`.

    Args:
        reasoning: `scratchpad` (tags in the reply), `no_cot` (answer at once) or `native`
            (the provider's reasoning blocks are the scratchpad).
        max_turns: Most assistant turns per sample (Greenblatt et al.: 4).
        prefill: When to start each assistant turn with `<` (`<OUTPUT>` for no-CoT): a `PrefillPolicy`,
            or true/false for always/never; never with native reasoning.
        opening: A scratchpad opening to prefill on the first turn instead of `<` (Sheshadri et
            al.'s prefill variants). It needs a provider that continues a prefill: elsewhere it is
            an error unless `prefill` is `always`.
        after_scratchpad: Text after a closed scratchpad outside `<OUTPUT>`: `continue` with
            `<NEXT/>` (the paper) or take it as the `answer`.
    """
    if max_turns < 1:
        raise ValueError(f"max_turns must be at least 1, got {max_turns}")
    if opening is not None and reasoning != "scratchpad":
        raise ValueError(f"a scratchpad prefill needs reasoning='scratchpad', not {reasoning!r}")
    policy = prefill_policy(prefill)
    if opening is not None and policy == "never":
        raise ValueError("a scratchpad prefill variant cannot run with prefill=false")

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        prefill_text = _prefill_text(reasoning, policy, state.model.api)
        if opening is not None and not prefill_text:
            raise ValueError(
                f"provider {state.model.api!r} does not continue a prefilled turn (those that do: "
                f"{', '.join(sorted(PREFILL_PROVIDERS))}), so the scratchpad prefill cannot be applied; "
                "pass -T prefill=true to send it anyway"
            )
        for turn in range(1, max_turns + 1):
            first = opening if (opening is not None and turn == 1) else prefill_text
            state = await _generate_turn(state, generate, first)
            message = state.messages[-1]
            assert isinstance(message, ChatMessageAssistant)
            last = AssistantTurn(message.text, reasoning_text(message), state.output.stop_reason)
            if turn_outcome(last, reasoning, after_scratchpad) is not None or turn == max_turns or state.completed:
                break
            state.messages.append(ChatMessageUser(content=NEXT))
        return state

    return solve


def _prefill_text(reasoning: ReasoningFormat, policy: PrefillPolicy, provider: str) -> str:
    if reasoning == "native" or not prefills(policy, provider):
        return ""
    return PREFILL_TEXT[reasoning]


async def _generate_turn(state: TaskState, generate: Generate, prefill_text: str) -> TaskState:
    """One assistant turn; with a prefill, the prefill and the continuation become one message."""
    if not prefill_text:
        return await generate(state)
    state.messages.append(ChatMessageAssistant(content=prefill_text))
    state = await generate(state)
    continuation = state.messages.pop()
    state.messages.pop()  # the prefill message
    assert isinstance(continuation, ChatMessageAssistant)
    merged = continuation.model_copy(update={"content": _prepend(prefill_text, continuation.content)})
    state.messages.append(merged)
    if state.output.choices:
        state.output.choices[0].message = merged
        state.output.completion = merged.text
    return state


def _prepend(prefix: str, content: str | list) -> str | list:
    if isinstance(content, str):
        return prefix + content
    texts = [i for i, c in enumerate(content) if isinstance(c, ContentText)]
    if not texts:
        return [*content, ContentText(text=prefix)]
    first = texts[0]
    updated = list(content)
    updated[first] = ContentText(text=prefix + content[first].text)
    return updated
