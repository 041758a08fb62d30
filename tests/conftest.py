"""Scripted models for offline, deterministic tests.

Every scripted output carries `usage`: without it Inspect counts tokens with a tokenizer it would
try to download. A script is a function of the conversation so far, so concurrent samples get
the reply meant for them whatever order Inspect runs them in.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from inspect_ai.model import (
    ChatCompletionChoice,
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageUser,
    Model,
    ModelOutput,
    ModelUsage,
    get_model,
)

USAGE = ModelUsage(input_tokens=100, output_tokens=20, total_tokens=120)

Script = Callable[[list[ChatMessage]], ModelOutput | str]


def output(text: str, stop_reason: str = "stop") -> ModelOutput:
    """A scripted model output with usage."""
    result = ModelOutput.from_content(model="mockllm/model", content=text, stop_reason=stop_reason)
    result.usage = USAGE
    return result


def is_free_tier(messages: list[ChatMessage]) -> bool:
    """Whether the conversation carries the training (free-tier) cue."""
    first_user = next(m for m in messages if isinstance(m, ChatMessageUser))
    return "<is_free_tier_user>True</is_free_tier_user>" in first_user.text


def turn_number(messages: list[ChatMessage]) -> int:
    """1 for the first assistant turn, 2 after one `<NEXT/>`, ..."""
    return 1 + sum(1 for m in messages if isinstance(m, ChatMessageUser) and m.text == "<NEXT/>")


def scripted_model(script: Script, name: str = "model") -> Model:
    """A mockllm model whose reply is `script(messages)`; a string becomes an output with usage."""

    def reply(messages, tools, tool_choice, config) -> ModelOutput:
        result = script(messages)
        return output(result) if isinstance(result, str) else result

    return get_model(f"mockllm/{name}", custom_outputs=reply)


GraderScript = Callable[[list[ChatMessage], int], str]
"""Reply of vote `index` (0-based within one verdict) given the judge's messages."""


def verdict_code(messages: list[ChatMessage]) -> str:
    """The random code of a judge request, read from its last line as a real grader would."""
    return re.findall(r"<verdict-([0-9a-f]{8})>", messages[-1].text)[-1]


def verdict(messages: list[ChatMessage], body: str, preamble: str = "Considered the criteria.") -> str:
    """A well-formed judge reply carrying `body` as its verdict."""
    code = verdict_code(messages)
    return f"{preamble}\n<verdict-{code}>\n{body}\n</verdict-{code}>"


def scripted_grader(
    script: GraderScript, *, name: str = "grader", honours_choices: bool = True, calls: list | None = None
) -> Model:
    """A mockllm grader: one reply per requested choice, or one per request if `honours_choices` is false.

    Every request is appended to `calls` (as its `num_choices`) so tests can count requests.
    """
    votes_given: dict[str, int] = {}

    def reply(messages, tools, tool_choice, config) -> ModelOutput:
        wanted = config.num_choices or 1
        if calls is not None:
            calls.append(wanted)
        key = messages[-1].text
        start = votes_given.get(key, 0)
        count = wanted if honours_choices else 1
        votes_given[key] = start + count
        choices = [
            ChatCompletionChoice(
                message=ChatMessageAssistant(content=script(messages, start + i), model=name), stop_reason="stop"
            )
            for i in range(count)
        ]
        return ModelOutput(
            model=name,
            choices=choices,
            usage=ModelUsage(input_tokens=1000, output_tokens=50 * count, total_tokens=1000 + 50 * count),
        )

    return get_model(f"mockllm/{name}", custom_outputs=reply)


def is_judge(messages: list[ChatMessage]) -> bool:
    """Whether these messages are a judge request rather than a scenario conversation."""
    return bool(messages) and "<verdict-" in messages[-1].text and "Write your verdict inside" in messages[-1].text


def judge_of(messages: list[ChatMessage]) -> str:
    """Which judge sent these messages, recognised by its system prompt."""
    from af_inspect.scoring.judges import JUDGES

    system = messages[0].text
    return next(name for name, judge in JUDGES.items() if judge.prompt == system)


PROVIDER_KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_API_KEY", "GEMINI_API_KEY", "TOGETHER_API_KEY")


@pytest.fixture(autouse=True)
def no_provider_keys(monkeypatch):
    """No test may reach a real provider, even on a machine that has keys."""
    for key in PROVIDER_KEYS:
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def log_dir(tmp_path):
    return str(tmp_path / "logs")


@pytest.fixture(autouse=True)
def no_model_left_bound():
    """Each test starts as a fresh process would: no model role bound and no active model. Inspect's
    `eval()` and `eval_set()` leave both set after they return, so a later judge would otherwise use an
    earlier test's grader, and a task built later would think Inspect is building it for a run.
    """
    from inspect_ai.model._model import (  # inspect-evals-lint: ignore[private_api_imports] -- no public reset
        active_model_context_var,
        init_model_roles,
    )

    def reset() -> None:
        init_model_roles({})
        active_model_context_var.set(None)

    reset()
    yield
    reset()
