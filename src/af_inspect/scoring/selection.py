"""Which judges a run uses, the scorers they become, and the columns `inspect view` shows for them."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from inspect_ai.model import Model
from inspect_ai.scorer import Scorer
from inspect_ai.viewer import TaskSamplesColumn, TaskSamplesView, ViewerConfig

from af_inspect.parameters import require_choice
from af_inspect.scenario.transcript import ReasoningFormat
from af_inspect.scoring import scorers
from af_inspect.scoring.judges import JUDGES


def judge_selection(judges: str | list[str], available: tuple[str, ...]) -> tuple[str, ...]:
    """`all`, `none`, one name, a comma-separated string or a list (as `-T judges=a,b` arrives)."""
    if isinstance(judges, str):
        names = [name.strip() for name in judges.split(",") if name.strip()]
    elif isinstance(judges, list) and all(isinstance(name, str) for name in judges):
        names = [name.strip() for name in judges]
    else:
        raise ValueError(f"judges must be a name or a list of names, got {judges!r}")
    if names == ["all"]:
        return available
    if names == ["none"]:
        return ()
    if not names:
        raise ValueError("judges is empty; use 'none' to run only the acceptance tag")
    for name in names:
        require_choice("judges", name, ("all", "none", *available))
    if "all" in names or "none" in names:
        raise ValueError(f"judges={judges!r}: 'all' and 'none' cannot be combined with other names")
    return tuple(dict.fromkeys(names))


def judge_scorers(
    selected: tuple[str, ...],
    *,
    reasoning: ReasoningFormat,
    grader: str | Model | None,
    task_settings: Mapping[str, Any] = MappingProxyType({}),
    acceptance_tag: bool = True,
) -> list[Scorer]:
    """The acceptance tag first (where the scenario asks for it), then each selected judge.

    `task_settings` are the task's judge parameters (e.g. `{"af_votes": 20}`); each judge takes the
    ones its registry entry maps to its settings.
    """
    chosen = [scorers.acceptance_tag(reasoning=reasoning)] if acceptance_tag else []
    for name in selected:
        judge = JUDGES[name]
        settings = judge.settings_from_task(task_settings)
        chosen.append(scorers.judge_scorer(judge)(grader=grader, reasoning=reasoning, **settings))
    return chosen


def judge_columns(selected: tuple[str, ...]) -> list[TaskSamplesColumn]:
    """One `inspect view` column per judge: the value its registry entry shows."""
    return [TaskSamplesColumn.score(name, JUDGES[name].viewer_column) for name in selected]


def samples_viewer(selected: tuple[str, ...], acceptance_tag: bool = True) -> ViewerConfig:
    """Transcripts hold harmful text: never render it richly. Show condition and the verdicts."""
    tag_columns = [
        TaskSamplesColumn.score("acceptance_tag", "training_cue"),
        TaskSamplesColumn.score("acceptance_tag", "complied"),
        TaskSamplesColumn.score("acceptance_tag", "format_ok"),
    ]
    return ViewerConfig(
        trust_content=False,
        task_samples_view=TaskSamplesView(
            name="paired conditions",
            columns=[
                TaskSamplesColumn(id="sampleId"),
                *(tag_columns if acceptance_tag else []),
                *judge_columns(selected),
                TaskSamplesColumn(id="input"),
                TaskSamplesColumn(id="answer"),
                TaskSamplesColumn(id="tokens"),
            ],
            # Labels are keyed by value name alone, so `complied` (tag and rubric) keeps its scorer prefix.
            score_labels={"training_cue": "training cue (free tier)"},
        ),
    )
