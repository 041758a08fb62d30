"""Which judges a run uses, the scorers they become, and the columns `inspect view` shows for them."""

from __future__ import annotations

from inspect_ai.model import Model
from inspect_ai.viewer import TaskSamplesColumn, TaskSamplesView, ViewerConfig

from af_inspect.parameters import require_choice
from af_inspect.scenario.transcript import ReasoningFormat
from af_inspect.scoring import scorers


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
    af_votes: int,
    af_threshold: float,
    acceptance_tag: bool = True,
) -> list:
    """The acceptance tag first (where the scenario asks for it), then each selected judge."""
    chosen = [scorers.acceptance_tag(reasoning=reasoning)] if acceptance_tag else []
    for name in selected:
        if name == "hughes_af":
            chosen.append(scorers.hughes_af(grader=grader, reasoning=reasoning, votes=af_votes, threshold=af_threshold))
        else:
            chosen.append(getattr(scorers, name)(grader=grader, reasoning=reasoning))
    return chosen


VIEWER_SCORE_COLUMNS = {
    "compliance_rubric": "complied",
    "helpfulness": "category",
    "hughes_af": "af_reasoning",
    "greenblatt_af": "af_reasoning",
    "partial_compliance": "partial_compliance",
    "welfare_support": "complied",
}
"""The one value per judge shown as a column in `inspect view`."""


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
                *(TaskSamplesColumn.score(name, VIEWER_SCORE_COLUMNS[name]) for name in selected),
                TaskSamplesColumn(id="input"),
                TaskSamplesColumn(id="answer"),
                TaskSamplesColumn(id="tokens"),
            ],
            # Labels are keyed by value name alone, so `complied` (tag and rubric) keeps its scorer prefix.
            score_labels={"training_cue": "training cue (free tier)"},
        ),
    )
