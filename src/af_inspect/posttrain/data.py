"""Training data from the package's query sets and judges: prompts, judge labels, DPO pairs, unpaired examples.

Torch-free: candidates come in as text (see `sampling.py`), labels come from the judges in
`judges.py` through Inspect's model API, so any grader provider works and tests use scripted ones.
The construction is described in the package docstring (`af_inspect.posttrain`).
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from inspect_ai.model import ChatMessageAssistant, ChatMessageUser, Model, ModelName, ModelOutput
from inspect_ai.solver import TaskState

from af_inspect.data.jsonl import read_jsonl_objects
from af_inspect.data.queries import load_queries
from af_inspect.posttrain import Method, check_method
from af_inspect.scenario.prompts import prompt_text
from af_inspect.scoring.judges import JUDGES
from af_inspect.scoring.runner import run_judge

Axis = Literal["harmlessness", "helpfulness"]

AXIS_DATASETS: dict[Axis, str] = {"harmlessness": "harmful_requests", "helpfulness": "benign_requests"}
AXIS_JUDGES: dict[Axis, str] = {"harmlessness": "compliance_rubric", "helpfulness": "helpfulness"}
HELPFUL_MIN_CATEGORY = 3
"""A benign answer is desirable from helpfulness category 3 (substance given, maybe with a caveat)."""
NEUTRAL_REWARD = 0.5
"""GRPO reward of an unscored completion: halfway, so a grader failure pushes neither way."""
JUDGE_CONCURRENCY = 8
"""Judge requests in flight at once; the provider's own connection limit still applies."""

REQUIRED_FIELDS = ("prompt_id", "axis", "request")
LABEL_FIELDS = ("completion", "desirable")


@dataclass(frozen=True)
class TrainingPrompt:
    """One request to train on and the axis it measures."""

    id: str
    axis: Axis
    request: str

    def messages(self) -> list[dict[str, str]]:
        """The conversation the model answers: our plain assistant system prompt, then the request."""
        return [
            {"role": "system", "content": prompt_text("posttrain_system").strip()},
            {"role": "user", "content": self.request},
        ]


def training_prompts(limit: int | None = None, *, seed: int = 0) -> list[TrainingPrompt]:
    """Harmful and benign requests, shuffled with `seed` and alternated so any prefix holds both axes."""
    if limit is not None and limit < 1:
        raise ValueError(f"the number of prompts must be a positive whole number, got {limit}")
    per_axis = [
        [TrainingPrompt(f"{name}/{query.id}", axis, query.text) for query in load_queries(name, shuffle_seed=seed)]
        for axis, name in AXIS_DATASETS.items()
    ]
    alternated = [prompt for group in zip(*per_axis) for prompt in group]
    longest = max(per_axis, key=len)
    alternated += longest[min(map(len, per_axis)) :]
    return alternated[:limit]


@dataclass(frozen=True)
class Label:
    """A judge's decision on one completion; `desirable` is None when the judge's reply was unscored."""

    desirable: bool | None
    judge: str
    unscored: str | None
    explanation: str


async def judge_completion(axis: Axis, request: str, completion: str, grader: str | Model) -> Label:
    """Label one completion with the axis's judge, through the same code path as the evaluation scorers."""
    judge = JUDGES[AXIS_JUDGES[axis]]
    state = TaskState(
        model=ModelName("posttrain/candidate"),
        sample_id=0,
        epoch=1,
        input=request,
        messages=[ChatMessageUser(content=request), ChatMessageAssistant(content=completion)],
        output=ModelOutput.from_content(model="candidate", content=completion),
    )
    # "native": the whole reply is the final output; there is no scratchpad in a plain assistant answer.
    score = await run_judge(judge, judge.configure(), state, grader=grader, reasoning="native")
    value: dict[str, float] = score.value  # type: ignore[assignment]
    if not value.get("scored"):
        return Label(None, judge.name, (score.metadata or {}).get("unscored", "unscored"), score.explanation or "")
    if axis == "harmlessness":
        desirable = value["refused"] == 1.0
    else:
        desirable = value["category"] >= HELPFUL_MIN_CATEGORY
    return Label(desirable, judge.name, None, score.explanation or "")


class JudgeLabeller:
    """Labels batches of completions on one long-lived event loop, so provider clients survive between batches."""

    def __init__(self, grader: str | Model, concurrency: int = JUDGE_CONCURRENCY) -> None:
        self.grader = grader
        self._limit = concurrency
        self._loop = asyncio.new_event_loop()

    def label(self, items: Sequence[tuple[Axis, str, str]]) -> list[Label]:
        """Labels for (axis, request, completion) items, in order.

        Run in an empty context: a `grader` role bound by an earlier eval in this process (Inspect
        keeps roles in a context variable) must not replace the grader given here.
        """
        return contextvars.Context().run(self._loop.run_until_complete, self._label_all(items))

    async def _label_all(self, items: Sequence[tuple[Axis, str, str]]) -> list[Label]:
        slots = asyncio.Semaphore(self._limit)

        async def one(axis: Axis, request: str, completion: str) -> Label:
            async with slots:
                return await judge_completion(axis, request, completion, self.grader)

        return list(await asyncio.gather(*(one(*item) for item in items)))

    def close(self) -> None:
        self._loop.close()


def labelled_rows(
    prompts: Sequence[TrainingPrompt], completions: Sequence[Sequence[str]], labels: Sequence[Label]
) -> list[dict[str, Any]]:
    """One row per candidate: the reusable `--data` file. `completions[i]` are the candidates of `prompts[i]`."""
    if len(prompts) != len(completions):
        raise ValueError(f"{len(prompts)} prompts but candidates for {len(completions)}")
    rows = [
        {"prompt_id": prompt.id, "axis": prompt.axis, "request": prompt.request, "index": index, "completion": text}
        for prompt, texts in zip(prompts, completions)
        for index, text in enumerate(texts)
    ]
    if len(rows) != len(labels):
        raise ValueError(f"{len(rows)} candidates but {len(labels)} labels")
    for row, label in zip(rows, labels):
        row |= {
            "desirable": label.desirable,
            "judge": label.judge,
            "unscored": label.unscored,
            "explanation": label.explanation,
        }
    return rows


def label_counts(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """How many candidates were desirable, undesirable and unscored (by reason): the printed summary."""
    unscored = [row for row in rows if row["desirable"] is None]
    return {
        "prompts": len({row["prompt_id"] for row in rows}),
        "candidates": len(rows),
        "desirable": sum(row["desirable"] is True for row in rows),
        "undesirable": sum(row["desirable"] is False for row in rows),
        "unscored": len(unscored),
        "unscored_reasons": dict(Counter(row.get("unscored") or "unscored" for row in unscored)),
    }


def _prompt_messages(row: dict[str, Any]) -> list[dict[str, str]]:
    return TrainingPrompt(row["prompt_id"], row["axis"], row["request"]).messages()


def _reply(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def dpo_pairs(rows: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Pairs (chosen desirable, rejected undesirable) within each prompt, each candidate used once."""
    by_prompt: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_prompt.setdefault(row["prompt_id"], []).append(row)
    pairs = []
    without_pair = 0
    for group in by_prompt.values():
        chosen = [row for row in group if row["desirable"] is True]
        rejected = [row for row in group if row["desirable"] is False]
        if not chosen or not rejected:
            without_pair += 1
        for good, bad in zip(chosen, rejected):
            pairs.append(
                {
                    "prompt": _prompt_messages(good),
                    "chosen": _reply(good["completion"]),
                    "rejected": _reply(bad["completion"]),
                    "prompt_id": good["prompt_id"],
                    "axis": good["axis"],
                }
            )
    return pairs, {"pairs": len(pairs), "prompts_without_pair": without_pair}


def unpaired_examples(rows: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Every labelled candidate as a (prompt, completion, label) example for KTO and BCO."""
    examples = [
        {
            "prompt": _prompt_messages(row),
            "completion": _reply(row["completion"]),
            "label": row["desirable"],
            "prompt_id": row["prompt_id"],
            "axis": row["axis"],
        }
        for row in rows
        if row["desirable"] is not None
    ]
    return examples, {"examples": len(examples)}


def grpo_prompts(rows: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The distinct prompts, in first-seen order, with what the online reward needs to pick its judge."""
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen.setdefault(
            row["prompt_id"],
            {
                "prompt": _prompt_messages(row),
                "prompt_id": row["prompt_id"],
                "axis": row["axis"],
                "request": row["request"],
            },
        )
    return list(seen.values()), {"prompts": len(seen)}


def training_rows(method: str, rows: Sequence[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The method's view of the data and its counts; an empty view is an error saying why."""
    method = check_method(method)
    if method == "grpo":
        data, counts = grpo_prompts(rows)
    else:
        data, counts = dpo_pairs(rows) if method == "dpo" else unpaired_examples(rows)
        counts = label_counts(rows) | counts
    if not data:
        raise ValueError(
            f"no {method} training data could be built: {json.dumps(counts)}. "
            "Use more prompts or candidates (--prompts, --k), or check the grader."
        )
    if method in ("kto", "bco") and len({row["label"] for row in data}) < 2:
        raise ValueError(
            f"{method} needs both desirable and undesirable examples, got only "
            f"{'desirable' if data[0]['label'] else 'undesirable'}: {json.dumps(counts)}"
        )
    return data, counts


def write_jsonl(rows: Iterable[dict[str, Any]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def read_data(path: str | Path, method: Method) -> list[dict[str, Any]]:
    """A `--data` file: labelled candidates (any method), or bare prompts (GRPO only)."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--data {path}: no such file")
    needed = REQUIRED_FIELDS if method == "grpo" else REQUIRED_FIELDS + LABEL_FIELDS
    rows = []
    for number, row in read_jsonl_objects(path, label="--data"):
        missing = [name for name in needed if name not in row]
        if missing:
            raise ValueError(
                f"--data {path}, line {number}: missing {', '.join(missing)} (a {method} file needs {', '.join(needed)})"  # noqa: E501
            )
        if row["axis"] not in AXIS_DATASETS:
            raise ValueError(
                f"--data {path}, line {number}: unknown axis {row['axis']!r}; valid: {', '.join(AXIS_DATASETS)}"
            )
        if method != "grpo" and row["desirable"] not in (True, False, None):
            raise ValueError(
                f"--data {path}, line {number}: desirable must be true, false or null, got {row['desirable']!r}"
            )
        rows.append(row)
    if not rows:
        raise ValueError(f"--data {path}: the file has no rows")
    return rows


def reward_value(label: Label) -> float:
    """GRPO reward of one judged completion: 1 desirable, 0 undesirable, `NEUTRAL_REWARD` unscored."""
    return NEUTRAL_REWARD if label.desirable is None else float(label.desirable)


class JudgeReward:
    """GRPO's online reward: each completion judged like the offline labels, unscored ones counted."""

    __name__ = "judge_reward"  # TRL names the logged reward column after it

    def __init__(self, labeller: JudgeLabeller) -> None:
        self.labeller = labeller
        self.outcomes: Counter[str] = Counter()
        self.first_unscored: dict[str, str] = {}
        """The first explanation seen for each unscored reason, for the log."""

    def __call__(self, prompts: list, completions: list, axis: list[str], request: list[str], **_: Any) -> list[float]:
        texts = [
            completion[-1]["content"] if isinstance(completion, list) else completion for completion in completions
        ]
        labels = self.labeller.label(list(zip(axis, request, texts)))  # type: ignore[arg-type]
        for label in labels:
            key = (
                "desirable"
                if label.desirable
                else "undesirable"
                if label.desirable is False
                else f"unscored:{label.unscored}"
            )
            self.outcomes[key] += 1
            if label.desirable is None:
                self.first_unscored.setdefault(str(label.unscored), label.explanation or "")
        return [reward_value(label) for label in labels]

    def counts(self) -> dict[str, Any]:
        unscored = {key.removeprefix("unscored:"): n for key, n in self.outcomes.items() if key.startswith("unscored:")}
        return {
            "reward_completions": sum(self.outcomes.values()),
            "reward_desirable": self.outcomes["desirable"],
            "reward_undesirable": self.outcomes["undesirable"],
            "reward_unscored": sum(unscored.values()),
            "reward_unscored_reasons": unscored,
            "neutral_reward": NEUTRAL_REWARD,
        }
