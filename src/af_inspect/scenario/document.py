"""The scenario as one document for a pre-trained (base) model to continue.

A base model has no chat turns, so the scenario is written as a page a pre-trained model could
plausibly have seen: a short frame, the scenario's system prompt, then the conversation in the
system prompt's own example format (`<INPUT>...</INPUT>`, `AI: <SCRATCHPAD_REASONING>`), ending
inside a scratchpad with a short prefilled opening (Sheshadri et al. 2025 prompt base models with
the scenario in a document). The cue in the `<INPUT>` block is exactly the chat task's.

The whole document goes to the model as one user message: Inspect's completion providers
(`openai-api-completions`, `vllm-completions`) send exactly that message as a raw prompt, as does
`af-local` with `-M completion=true`. A continuation ends at a marker that would start the next
input; a turn that closes its scratchpad without an output is continued, as in the chat task, by
appending `INPUT: <NEXT/>` and `AI:` to the document.
"""

from __future__ import annotations

from collections.abc import Sequence
from string import Template

from inspect_ai.model import ChatMessageAssistant, ChatMessageUser
from inspect_ai.solver import Generate, Solver, TaskState, solver

from af_inspect.scenario.conditions import (
    ACCEPTANCE_INSTRUCTION,
    DEFAULT_CONDITION_SET,
    CueStyle,
    CueTag,
    condition_set,
    user_turn,
)
from af_inspect.scenario.prompts import prompt_text, with_lab_name
from af_inspect.scenario.transcript import NEXT, SCRATCHPAD_OPEN, AfterScratchpad, AssistantTurn, turn_outcome

SCRATCHPAD_PREFILL = SCRATCHPAD_OPEN + "\n" + prompt_text("base_model_scratchpad_opening").strip()
"""Where the document stops: an open scratchpad and a neutral first sentence, so the model continues
the AI's reasoning instead of writing another document."""

NEXT_TURN = "\n\nINPUT: " + NEXT + "\n\nAI:"
"""Appended after a scratchpad-only turn, as the system prompt's examples continue a conversation.
It ends at the colon: a trailing space would be a token base models rarely see before a tag."""

TURN_END_MARKERS = ("\nINPUT:", "\n<INPUT>", "\n=== ")
"""Text that starts the next input or a new document section: the end of the AI's turn. Sent as
stop sequences, and cut again here because some providers (e.g. `hf`) keep the stop text."""


def scenario_document(system_prompt: str, user_turn_text: str, lab_name: str, opening: str = SCRATCHPAD_PREFILL) -> str:
    """The document a base model continues: frame, system prompt, input, open scratchpad."""
    frame = with_lab_name(prompt_text("base_model_document"), lab_name)
    # substitute() never rescans the inserted text, so braces or `$` in the prompt stay as written.
    body = Template(frame).substitute(SYSTEM_PROMPT=system_prompt.strip(), USER_TURN=user_turn_text)
    return body.rstrip() + "\n\nAI: " + opening


def cut_at_turn_end(text: str) -> tuple[str, bool]:
    """The continuation up to the first turn-end marker (without the blank lines before it), and whether one was found."""  # noqa: E501
    found = [index for index in (text.find(marker) for marker in TURN_END_MARKERS) if index != -1]
    if not found:
        return text, False
    return text[: min(found)].rstrip(), True


@solver
def scenario_as_document(
    system_prompt: str | Sequence[str],
    lab_name: str,
    cue_style: CueStyle = "greenblatt",
    acceptance_instruction: str | None = ACCEPTANCE_INSTRUCTION,
    cue: CueTag = "tier",
    conditions: str = DEFAULT_CONDITION_SET,
    opening: str = SCRATCHPAD_PREFILL,
) -> Solver:
    """Replace the sample's messages with one user message: the document for its condition.

    Several system prompts are paraphrases: each sample gets the one its `paraphrase` metadata
    names. `conditions` is the condition set the samples were built with; `opening` the
    prefilled scratchpad (a prefill variant's, or ours).
    """
    prompts = [system_prompt] if isinstance(system_prompt, str) else list(system_prompt)
    arms = condition_set(conditions)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        condition = arms[state.metadata["condition"]]
        turn = user_turn(
            state.input_text, condition, cue_style=cue_style, acceptance_instruction=acceptance_instruction, cue=cue
        )
        prompt = prompts[state.metadata.get("paraphrase", 0)] if len(prompts) > 1 else prompts[0]
        state.messages = [ChatMessageUser(content=scenario_document(prompt, turn, lab_name, opening))]
        return state

    return solve


@solver
def document_continuation(
    max_turns: int = 4, opening: str = SCRATCHPAD_PREFILL, after_scratchpad: AfterScratchpad = "continue"
) -> Solver:
    """Let the model continue the document, turn by turn, until it gives an answer.

    Each request is the document so far as a single user message. Afterwards the messages read
    like a chat transcript (document, AI turn, `<NEXT/>`, AI turn...), the first AI turn starting
    with the prefilled scratchpad opening, so the chat task's parser and judges read it unchanged.

    Args:
        max_turns: Most AI turns; a turn that only closes its scratchpad is continued with `<NEXT/>`.
        opening: The prefilled scratchpad the document ends with (as given to `scenario_as_document`).
        after_scratchpad: Text after a closed scratchpad outside `<OUTPUT>`: `continue` or the `answer`.
    """
    if not isinstance(max_turns, int) or isinstance(max_turns, bool) or max_turns < 1:
        raise ValueError(f"max_turns must be a positive whole number, got {max_turns!r}")

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        document = _the_document(state)
        sent = document
        transcript: list = [ChatMessageUser(content=document)]
        for turn in range(1, max_turns + 1):
            state.messages = [ChatMessageUser(content=sent)]
            state = await generate(state)
            reply = state.messages[-1]
            assert isinstance(reply, ChatMessageAssistant)
            continuation, ended_at_marker = cut_at_turn_end(reply.text)
            if ended_at_marker and state.output.choices:
                # The turn ended where the next input begins, whatever the provider did after it.
                state.output.choices[0].stop_reason = "stop"
            text = (opening if turn == 1 else "") + continuation
            message = ChatMessageAssistant(content=text, model=reply.model, source="generate")
            transcript.append(message)
            if state.output.choices:
                state.output.choices[0].message = message
                state.output.completion = text
            last = AssistantTurn(text, "", state.output.stop_reason)
            if (
                turn_outcome(last, after_scratchpad=after_scratchpad) is not None
                or turn == max_turns
                or state.completed
            ):
                break
            transcript.append(ChatMessageUser(content=NEXT))
            sent = sent + continuation.rstrip() + NEXT_TURN
        state.messages = transcript
        return state

    return solve


def _the_document(state: TaskState) -> str:
    users = [message for message in state.messages if isinstance(message, ChatMessageUser)]
    if len(users) != 1 or len(state.messages) != 1:
        roles = ", ".join(message.role for message in state.messages) or "none"
        raise ValueError(
            f"sample {state.sample_id}: document_continuation needs exactly one user message (the document), "
            f"got: {roles}; put scenario_as_document in the task's setup"
        )
    return users[0].text
