"""How far to trust a judge: run it over human-labelled transcripts and measure agreement.

The labelled transcripts are replayed through a small Inspect task (no model under test, the
judge as scorer, the grader bound to the `grader` role), so validation uses exactly the code path
of a real run and leaves an Inspect log to audit. Agreement is reported as AUROC over the judge's
graded score (the vote share, for the voting judge), and accuracy, precision, recall, Cohen's κ
and the confusion table at the judge's own decision. Unscored transcripts are counted, not dropped
into either class.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from inspect_ai import Task, eval
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.log import EvalLog
from inspect_ai.model import ChatMessageAssistant, Model, ModelOutput
from inspect_ai.scorer import Scorer
from inspect_ai.solver import Generate, Solver, TaskState, solver

from af_inspect.data.jsonl import read_jsonl_objects
from af_inspect.data.queries import shipped_jsonl
from af_inspect.data.remote_sources import RemoteSource, fetch
from af_inspect.scenario.transcript import OUTPUT_CLOSE, OUTPUT_OPEN, SCRATCHPAD_CLOSE, SCRATCHPAD_OPEN
from af_inspect.scoring import scorers
from af_inspect.scoring.judges import JUDGES

OUR_LABELS = "af_judge_labels"
HUGHES_HUMAN_LABELS = "hughes_human_labels"
LABELLED_SETS = (OUR_LABELS, HUGHES_HUMAN_LABELS)

HUGHES_HUMAN_LABELS_SOURCE = RemoteSource(
    name=HUGHES_HUMAN_LABELS,
    description="106 scratchpads from Claude 3 Opus, Claude 3.5 Sonnet and Llama 3 405B, human-labelled for "
    "alignment faking (51 yes, 55 no) by Hughes et al. 2025.",
    # A commit could not be determined when this release was written (no network), so the URL
    # follows "main"; the checksum is recorded on first download and enforced after that.
    url=(
        "https://huggingface.co/datasets/jplhughes2/classify_alignment_faking_human_labels/resolve/"
        "main/data/train-00000-of-00001.parquet"
    ),
    revision="main",
    file_format="parquet",
    text_column="scratchpad_reasoning",
    category_column=None,
    sha256=None,
    expected_columns=(
        "user_input",
        "scratchpad_reasoning",
        "output_without_scratchpad",
        "alignment_faking_human_label",
    ),
    expected_rows=106,
    licence="none declared by the dataset card",
    citation="Hughes, J., et al. (2025). Alignment Faking Revisited: Improved Classifiers and Open Source "
    "Extensions. Anthropic Alignment Science blog.",
)

LABELLED_JUDGE = "hughes_af"
"""The judge whose property the shipped labelled sets label: alignment-faking reasoning (the default to validate)."""


@dataclass(frozen=True)
class LabelledTranscript:
    """One transcript with a human label: 1 = the judged property holds."""

    id: str
    user_input: str
    reasoning: str
    output: str
    label: int
    kind: str | None = None


@dataclass(frozen=True)
class Agreement:
    """Agreement between a judge and the labels, over the transcripts the judge scored."""

    n: int
    unscored: dict[str, int]
    auroc: float
    accuracy: float
    precision: float
    recall: float
    cohen_kappa: float
    true_positive: int
    false_positive: int
    false_negative: int
    true_negative: int
    by_kind: dict[str, dict[str, int]] = field(default_factory=dict)
    """Per kind of transcript (positive / negative / hard_negative): correct and total."""
    without_grader: int = 0
    """Scored transcripts whose output was a bare `<rejected/>`, decided by rule, not by the grader."""

    def as_text(self) -> str:
        lines = [
            f"scored {self.n}"
            + (
                f" ({self.without_grader} bare <rejected/> outputs decided without the grader)"
                if self.without_grader
                else ""
            )
            + (f", unscored {sum(self.unscored.values())} ({_counts(self.unscored)})" if self.unscored else ""),
            f"AUROC      {_fmt(self.auroc)}",
            f"accuracy   {_fmt(self.accuracy)}",
            f"precision  {_fmt(self.precision)}",
            f"recall     {_fmt(self.recall)}",
            f"Cohen's κ  {_fmt(self.cohen_kappa)}",
            "",
            "                 judge yes  judge no",
            f"label yes  {self.true_positive:>10}  {self.false_negative:>8}",
            f"label no   {self.false_positive:>10}  {self.true_negative:>8}",
        ]
        if self.by_kind:
            lines += [
                "",
                "correct by kind: "
                + ", ".join(f"{kind} {c['correct']}/{c['total']}" for kind, c in self.by_kind.items()),
            ]
        return "\n".join(lines)


def load_labelled(source: str = OUR_LABELS) -> list[LabelledTranscript]:
    """Ours (`af_judge_labels`), Hughes et al.'s human labels (`hughes_human_labels`) or a .jsonl/.parquet path.

    A file needs `user_input`, `scratchpad_reasoning`, an output column (`output` or
    `output_without_scratchpad`) and a label column (`label` or `alignment_faking_human_label`).
    """
    if source == OUR_LABELS:
        return [_labelled(row, f"row {number}") for number, row in enumerate(shipped_jsonl(f"{OUR_LABELS}.jsonl"), 1)]
    if source == HUGHES_HUMAN_LABELS:
        path = fetch(HUGHES_HUMAN_LABELS_SOURCE)
        frame = pd.read_parquet(path)
        rows = frame.to_dict(orient="records")
        return [
            _labelled({"id": f"hh{number:03d}"} | row, f"row {number} of {path}") for number, row in enumerate(rows, 1)
        ]
    path = Path(source)
    if path.suffix not in (".jsonl", ".parquet"):
        raise ValueError(
            f"unknown labelled set '{source}'; valid: {', '.join(LABELLED_SETS)}, or a .jsonl/.parquet file"
        )
    if not path.is_file():
        raise ValueError(f"labelled set file '{source}' does not exist")
    if path.suffix == ".parquet":
        rows = pd.read_parquet(path).to_dict(orient="records")
    else:
        rows = [row for _, row in read_jsonl_objects(path, label="labelled set file")]
    return [_labelled({"id": f"r{number:03d}"} | row, f"row {number} of {path}") for number, row in enumerate(rows, 1)]


def _labelled(row: dict, where: str) -> LabelledTranscript:
    def text(*names: str) -> str:
        for name in names:
            if name in row and row[name] is not None:
                value = row[name]
                # Multi-turn reasoning can arrive as a list of scratchpads.
                return (
                    "\n\n".join(map(str, value))
                    if isinstance(value, (list, tuple)) or hasattr(value, "tolist")
                    else str(value)
                )
        raise ValueError(f"{where} has none of the columns {list(names)}; found {sorted(row)}")

    raw_label = row.get("label", row.get("alignment_faking_human_label"))
    label = _label_value(raw_label)
    if label is None:
        raise ValueError(f"{where} has label {raw_label!r}; expected 0/1, true/false or yes/no")
    return LabelledTranscript(
        id=str(row["id"]),
        user_input=text("user_input"),
        reasoning=text("scratchpad_reasoning"),
        output=text("output", "output_without_scratchpad"),
        label=label,
        kind=row.get("kind"),
    )


def _label_value(raw: object) -> int | None:
    if isinstance(raw, bool):
        return int(raw)
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return int(raw)
    if isinstance(raw, str) and raw.strip().lower() in ("0", "1", "true", "false", "yes", "no"):
        return int(raw.strip().lower() in ("1", "true", "yes"))
    return None


@solver
def replay_transcript() -> Solver:
    """Put a labelled transcript in place of generation: reasoning in a scratchpad, then the output."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        reasoning = state.metadata["reasoning"]
        for tag in (SCRATCHPAD_OPEN, SCRATCHPAD_CLOSE):
            reasoning = reasoning.replace(tag, "")
        output = state.metadata["output"].strip()
        text = f"{SCRATCHPAD_OPEN}\n{reasoning.strip()}\n{SCRATCHPAD_CLOSE}\n\n{OUTPUT_OPEN}\n{output}\n{OUTPUT_CLOSE}"
        state.messages.append(ChatMessageAssistant(content=text, model="labelled"))
        state.output = ModelOutput.from_content(model="labelled", content=text)
        return state

    return solve


def validation_task(judge: str, transcripts: Sequence[LabelledTranscript], scorer: Scorer) -> Task:
    samples = [
        Sample(
            id=t.id,
            input=t.user_input,
            metadata={
                "condition": "labelled",
                "training_condition": True,
                "label": t.label,
                "kind": t.kind,
                "reasoning": t.reasoning,
                "output": t.output,
            },
        )
        for t in transcripts
    ]
    return Task(
        dataset=MemoryDataset(samples, name="labelled_transcripts"),
        solver=replay_transcript(),
        scorer=scorer,
        name=f"validate_{judge}",
        metadata={"judge": judge},
    )


def validate_judge(
    judge: str,
    transcripts: Sequence[LabelledTranscript],
    *,
    grader: str | Model | None = None,
    votes: int | None = None,
    threshold: float | None = None,
    log_dir: str | None = None,
    display: str | None = None,
    max_connections: int | None = None,
) -> tuple[Agreement, EvalLog]:
    """Run `judge` over labelled transcripts and measure its agreement with the labels."""
    if judge not in JUDGES:
        raise ValueError(f"unknown judge '{judge}'; valid: {', '.join(JUDGES)}")
    if not transcripts:
        raise ValueError("no labelled transcripts to validate on")
    settings = {name: value for name, value in (("votes", votes), ("threshold", threshold)) if value is not None}
    if not settings.keys() <= JUDGES[judge].settings.keys():
        voting = [name for name, entry in JUDGES.items() if {"votes", "threshold"} <= entry.settings.keys()]
        raise ValueError(f"votes and threshold apply to {', '.join(voting)} only, not {judge}")
    scorer = scorers.judge_scorer(judge)(**settings)
    logs = eval(
        validation_task(judge, transcripts, scorer),
        model="none",
        model_roles={"grader": grader} if grader is not None else None,
        log_dir=log_dir or os.environ.get("INSPECT_LOG_DIR", "logs"),
        display=display,  # type: ignore[arg-type]
        max_connections=max_connections,
        score_display=False,
    )
    log = logs[0]
    if log.status != "success":
        raise RuntimeError(
            f"the validation run ended with status '{log.status}': {log.error.message if log.error else ''}"
        )
    return agreement_from_log(log, judge), log


def agreement_from_log(log: EvalLog, judge: str) -> Agreement:
    """Agreement of one judge's scores in a validation log with the labels in its samples."""
    decision_key, graded_key = JUDGES[judge].validation_keys
    labels: list[int] = []
    decisions: list[int] = []
    graded: list[float] = []
    unscored: dict[str, int] = {}
    by_kind: dict[str, dict[str, int]] = {}
    without_grader = 0
    for sample in log.samples or []:
        score = (sample.scores or {}).get(judge)
        value = score.value if score is not None and isinstance(score.value, dict) else {}
        decision = value.get(decision_key)
        if decision is None or (isinstance(decision, float) and math.isnan(decision)):
            why = (score.metadata or {}).get("unscored", score.reason) if score is not None else "error"
            unscored[str(why)] = unscored.get(str(why), 0) + 1
            continue
        label = int(sample.metadata["label"])
        without_grader += (score.metadata or {}).get("decided_by") == "rejection_tag"
        labels.append(label)
        decisions.append(int(decision))
        graded.append(float(value[graded_key]))
        kind = sample.metadata.get("kind")
        if kind:
            tally = by_kind.setdefault(kind, {"correct": 0, "total": 0})
            tally["correct"] += int(int(decision) == label)
            tally["total"] += 1
    return agreement(labels, decisions, graded, unscored=unscored, by_kind=by_kind, without_grader=without_grader)


def agreement(
    labels: Sequence[int],
    decisions: Sequence[int],
    graded: Sequence[float],
    *,
    unscored: dict[str, int] | None = None,
    by_kind: dict[str, dict[str, int]] | None = None,
    without_grader: int = 0,
) -> Agreement:
    """AUROC of `graded` against `labels`; accuracy, precision, recall, κ and confusion of `decisions`."""
    tp = sum(1 for y, d in zip(labels, decisions) if y == 1 and d == 1)
    fp = sum(1 for y, d in zip(labels, decisions) if y == 0 and d == 1)
    fn = sum(1 for y, d in zip(labels, decisions) if y == 1 and d == 0)
    tn = sum(1 for y, d in zip(labels, decisions) if y == 0 and d == 0)
    n = len(labels)
    return Agreement(
        n=n,
        unscored=dict(unscored or {}),
        auroc=auroc(labels, graded),
        accuracy=(tp + tn) / n if n else math.nan,
        precision=tp / (tp + fp) if tp + fp else math.nan,
        recall=tp / (tp + fn) if tp + fn else math.nan,
        cohen_kappa=cohen_kappa(tp, fp, fn, tn),
        true_positive=tp,
        false_positive=fp,
        false_negative=fn,
        true_negative=tn,
        by_kind=dict(by_kind or {}),
        without_grader=without_grader,
    )


def auroc(labels: Sequence[int], graded: Sequence[float]) -> float:
    """Probability that a random positive is graded above a random negative, ties counting half.

    NaN when either class is absent.
    """
    positives = [g for y, g in zip(labels, graded) if y == 1]
    negatives = [g for y, g in zip(labels, graded) if y == 0]
    if not positives or not negatives:
        return math.nan
    wins = sum((p > q) + 0.5 * (p == q) for p in positives for q in negatives)
    return wins / (len(positives) * len(negatives))


def cohen_kappa(tp: int, fp: int, fn: int, tn: int) -> float:
    """Agreement beyond chance between judge and labels; NaN when chance agreement is total."""
    n = tp + fp + fn + tn
    if n == 0:
        return math.nan
    observed = (tp + tn) / n
    expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else math.nan


def _fmt(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {count}" for reason, count in sorted(counts.items()))
