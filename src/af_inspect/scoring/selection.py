"""Which judges a run uses, the scorers they become, what the console prints, and the columns `inspect view` shows.

The console: Inspect prints one block of lines per scorer with metrics, four blocks to a row, and
at 80 columns it cuts names short to fit four of ours. So a run prints at most three: the acceptance
tag and the headline judges of the Judge registry (`Judge.headline`), or, with no headline judge
selected, the first selected judge. The first block also says why samples had no final output.
The other scorers print nothing; all their values are in the log's samples, where the report reads
them.
"""

from __future__ import annotations

import functools
import logging
import shutil
import sys
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from inspect_ai.model import Model
from inspect_ai.scorer import Metric, Scorer
from inspect_ai.viewer import TaskSamplesColumn, TaskSamplesView, ViewerConfig

from af_inspect.parameters import require_choice
from af_inspect.scenario.transcript import AfterScratchpad, ReasoningFormat
from af_inspect.scoring import scorers
from af_inspect.scoring.grader import missing_grader
from af_inspect.scoring.judges import JUDGES
from af_inspect.scoring.metrics import console_metrics

# Not re-exported by Inspect: how `Task(metrics=...)` sets the metrics of one scorer instance.
from inspect_ai._util.registry import RegistryInfo, registry_info, set_registry_info  # isort: skip  # inspect-evals-lint: ignore[private_api_imports] -- how Task(metrics=...) sets one scorer's metrics; no public API  # noqa: E501

logger = logging.getLogger(__name__)


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


@dataclass(frozen=True)
class JudgeRun:
    """The judges a run uses and, when it has no grader, the ones it skips and why."""

    judges: tuple[str, ...]
    skipped: Mapping[str, Any] | None = None
    """`{"judges": [...], "reason": ...}` when no grader can be had."""

    @property
    def metadata(self) -> dict[str, Any]:
        """For the task's metadata (the log): `judges`, and `judges_skipped` if any were."""
        return {"judges": list(self.judges)} | ({"judges_skipped": dict(self.skipped)} if self.skipped else {})


def judges_to_run(selected: tuple[str, ...], grader: str | Model | None) -> JudgeRun:
    """The selected judges, or none when the run Inspect is building has no grader (`grader.missing_grader`).

    A run without a grader says so once, naming the grader it wanted and how to bind one, and
    scores what needs no grader; its judges are recorded as skipped, with the reason.
    """
    problem = missing_grader(grader) if selected else None
    if problem is None:
        return JudgeRun(selected)
    _announce_skipped(problem)
    return JudgeRun((), {"judges": list(selected), "reason": problem})


@functools.cache
def _announce_skipped(problem: str) -> None:
    """Once per run, however many tasks and models it builds.

    Printed across the terminal rather than through the log handler, whose message column is a
    third of an 80-column screen; it stays silent when warnings are turned off (`--log-level error`).
    """
    if logger.isEnabledFor(logging.WARNING):
        notice = (
            f"af-inspect: no grader, so the judges are skipped: {problem}. Bind a grader with "
            "--model-role grader=<provider/model> or -T grader=<provider/model>."
        )
        print(textwrap.fill(notice, shutil.get_terminal_size().columns - 1), file=sys.stderr, flush=True)


def judge_scorers(
    selected: tuple[str, ...],
    *,
    reasoning: ReasoningFormat,
    grader: str | Model | None,
    after_scratchpad: AfterScratchpad = "continue",
    task_settings: Mapping[str, Any] = MappingProxyType({}),
    acceptance_tag: bool = True,
) -> list[Scorer]:
    """The acceptance tag first (where the scenario asks for it), then each selected judge.

    `reasoning` and `after_scratchpad` say how every scorer reads the transcript (the task's
    options). `task_settings` are the task's judge parameters (e.g. `{"af_votes": 20}`); each judge
    takes the ones its registry entry maps to its settings. What each prints: see the module notes.
    """
    chosen = [scorers.acceptance_tag(reasoning=reasoning, after_scratchpad=after_scratchpad)] if acceptance_tag else []
    printed = console_judges(selected)
    first_block = not acceptance_tag  # the first block also says why samples had no final output
    for name in selected:
        judge = JUDGES[name]
        settings = judge.settings_from_task(task_settings)
        scorer = scorers.judge_scorer(judge)(
            grader=grader, reasoning=reasoning, after_scratchpad=after_scratchpad, **settings
        )
        if name not in printed:
            _prints(scorer, {})
        elif first_block:
            _prints(scorer, console_metrics(judge.console, outcomes=True))
            first_block = False
        chosen.append(scorer)
    return chosen


def console_judges(selected: tuple[str, ...]) -> tuple[str, ...]:
    """The judges whose block the console prints: the headline ones, else the first selected."""
    headline = tuple(name for name in selected if JUDGES[name].headline)
    return headline or selected[:1]


def _prints(scorer: Scorer, metrics: list[Metric] | dict) -> None:
    """Set what Inspect prints for this one scorer, as `Task(metrics=...)` does for all of a task's."""
    info = registry_info(scorer)
    set_registry_info(
        scorer, RegistryInfo(type=info.type, name=info.name, metadata={**info.metadata, "metrics": metrics})
    )


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
