"""Inspect logs → one tidy DataFrame, one row per sample × epoch, every verdict a column.

Read with `inspect_ai.analysis.samples_df` and explicit column paths from the sample summaries
(scores, metadata, error), which is fast: full transcripts are never loaded. Logs that did not end
in success are listed, not mixed in (unless asked); their samples that never ran are listed in
`TidyLogs.never_ran` (see `runs.py`). A file that cannot be read is skipped with a warning naming
it. Columns:

- `log`, `eval_id`, `created`, `model`, `provider`, `task`, `task_version`, `scenario`, `variant`,
  `setting` (the task arguments passed that change what is measured, e.g. `cue_style=hughes`;
  `default` if none), `format` (`chat`, or `document` for base-model runs), `status`
- `family`, `base_model`, `method`, `checkpoint`: the run's tags, from its eval metadata
  (`--metadata method=dpo`; see `run_tags.py`); missing (None) on an untagged run
- `sample_id`, `query_id`, `condition`, `training_condition`, `condition_set` (`tiers` for logs
  from before condition sets), `epoch`
- `outcome`: the parse outcome of the transcript (`final_output`, `truncated`, …)
- `error`: the sample's error message, if it failed (then every verdict is missing)
- `<scorer>__<key>` for every score value, e.g. `acceptance_tag__complied`, `hughes_af__vote_share`
- `<scorer>__unscored`: why that scorer left the sample unscored, if it did
- `<scorer>__grader`, `<scorer>__self_graded`: who graded, for model-graded judges
"""

from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from inspect_ai.analysis import EvalColumn, SampleColumn, samples_df

# Importing inspect_ai.log also teaches the standard zipfile module Inspect's zstd compression.
from inspect_ai.log import EvalLog, list_eval_logs, read_eval_log

from af_inspect.report.run_tags import TAG_KEYS, run_tags, tag_text
from af_inspect.report.runs import NEVER_RAN_COLUMNS, expected_samples, never_ran, newest_run_wins
from af_inspect.scenario.conditions import DEFAULT_CONDITION_SET

DEFAULT_VARIANT = "default"
DEFAULT_SETTING = "default"
DEFAULT_FORMAT = "chat"
"""The `format` of runs whose task does not set one: a chat conversation (base-model runs say `document`)."""

NOT_A_SETTING = frozenset({"limit", "shuffle_seed", "judges", "grader", "variant"})
"""Task arguments that choose which samples or judges run, not what a measurement means (the
variant has its own column)."""


def _setting_text(task_args: Any) -> str:
    """The passed task arguments that define the measurement, as `name=value, ...`."""
    if not isinstance(task_args, dict):
        return DEFAULT_SETTING
    parts = [f"{name}={value}" for name, value in sorted(task_args.items()) if name not in NOT_A_SETTING]
    return ", ".join(parts) or DEFAULT_SETTING


EVAL_COLUMNS = [
    EvalColumn("model", path="eval.model", required=True),
    EvalColumn("task", path="eval.task", required=True),
    EvalColumn("task_version", path="eval.task_version"),
    EvalColumn("scenario", path="eval.metadata.scenario"),
    EvalColumn("variant", path="eval.metadata.variant"),
    EvalColumn("format", path="eval.metadata.format"),
    EvalColumn("setting", path="eval.task_args_passed", value=_setting_text),
    EvalColumn("created", path="eval.created", required=True),
    EvalColumn("status", path="status", required=True),
    *(EvalColumn(key, path=f"eval.metadata.{key}", value=tag_text) for key in TAG_KEYS),
]


class UnreadableLogWarning(UserWarning):
    """A log file could not be read and was skipped."""


@dataclass
class TidyLogs:
    """The tidy samples and what was kept out of them, so a table can say so."""

    samples: pd.DataFrame
    not_successful: list[tuple[str, str]] = field(default_factory=list)
    """(log, status) of logs that errored, were cancelled or are still running."""
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    """(log, problem) of files that could not be read."""
    superseded: list[tuple[str, str]] = field(default_factory=list)
    """(older log, newer log): a later run of the same model and setting replaced its samples."""
    never_ran: pd.DataFrame = field(default_factory=pd.DataFrame)
    """One row per sample × epoch an included log selected but no log of its run holds (a run that
    stopped early): the run's columns (as `samples`) and `sample_id`, `epoch`, `query_id`,
    `condition`, `training_condition`, `condition_set`."""


def _flatten_scores(scores: Any) -> dict[str, Any]:
    """`{scorer: Score}` → `{scorer__key: value, scorer__unscored: why, ...}`, plus the parse outcome."""
    flat: dict[str, Any] = {}
    if not isinstance(scores, dict):
        return flat
    for scorer, score in scores.items():
        value = score.get("value")
        if isinstance(value, dict):
            for key, item in value.items():
                flat[f"{scorer}__{key}"] = item
        else:
            flat[f"{scorer}__value"] = value
        metadata = score.get("metadata") or {}
        flat[f"{scorer}__unscored"] = metadata.get("unscored") or (score.get("reason") if _all_missing(value) else None)
        if "grader" in metadata:
            flat[f"{scorer}__grader"] = metadata.get("grader")
            flat[f"{scorer}__self_graded"] = metadata.get("self_graded")
        if "outcome" in metadata and "outcome" not in flat:
            flat["outcome"] = metadata["outcome"]
    return flat


def _all_missing(value: Any) -> bool:
    values = value.values() if isinstance(value, dict) else [value]
    return all(item is None or (isinstance(item, float) and item != item) for item in values)


SAMPLE_COLUMNS = [
    # `sample_id` is Inspect's own unique id per sample (it de-duplicates on it): ours is `id`.
    SampleColumn("id", path="id", required=True, type=str),
    SampleColumn("epoch", path="epoch", required=True),
    SampleColumn("query_id", path="metadata.query_id"),
    SampleColumn("condition", path="metadata.condition"),
    SampleColumn("training_condition", path="metadata.training_condition"),
    SampleColumn("condition_set", path="metadata.condition_set"),
    SampleColumn("error", path="error"),
    SampleColumn("scores_*", path="scores", value=_flatten_scores),
]


def log_files(logs: str | Path | Iterable[str | Path]) -> list[str]:
    """Every `.eval`/`.json` log in a directory (recursively), or the given files, sorted."""
    if isinstance(logs, (str, Path)):
        path = Path(logs)
        if path.is_dir():
            return sorted(_local_path(info.name) for info in list_eval_logs(str(path), recursive=True))
        if not path.exists():
            raise ValueError(f"no log file or directory at '{path}'")
        return [str(path)]
    return [str(path) for path in logs]


def _local_path(name: str) -> str:
    """Inspect lists logs as URIs; a `file://` one is given back as a plain path."""
    if name.startswith("file://"):
        return urllib.request.url2pathname(urllib.parse.urlparse(name).path)
    return name


def tidy_samples(
    logs: str | Path | Iterable[str | Path],
    *,
    include_unsuccessful: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> TidyLogs:
    """Read logs into the tidy table (see the module docstring for its columns).

    Args:
        logs: A log directory, one log file, or several files.
        include_unsuccessful: Keep samples of logs that errored or were cancelled (they are
            always listed in `not_successful`).
        progress: Called with (logs done, logs total) after each file.
    """
    files = log_files(logs)
    result = TidyLogs(samples=pd.DataFrame())
    records: list[dict[str, Any]] = []
    expected: list[dict[str, Any]] = []
    through_inspect: list[str] = []
    for done, read in enumerate(_read_files(files, include_unsuccessful), 1):
        if read.problem is not None:
            warnings.warn(f"skipping unreadable log {read.file}: {read.problem}", UnreadableLogWarning, stacklevel=2)
            result.unreadable.append((read.file, read.problem))
        elif read.status != "success":
            result.not_successful.append((read.file, str(read.status)))
        if read.included:
            expected += read.expected
            if read.records is None:
                through_inspect.append(read.file)
            else:
                records += read.records
        if progress is not None:
            progress(done, len(files))
    frames = [pd.DataFrame.from_records(records)] if records else []
    if through_inspect:
        frames.append(_inspect_samples_df(through_inspect))
    if not frames:
        result.samples = pd.DataFrame(columns=LEADING_COLUMNS)
        return result
    frame = _normalised(pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0])
    if "outcome" not in frame:
        frame["outcome"] = None
    frame, result.superseded = newest_run_wins(frame)
    result.samples = frame[[*LEADING_COLUMNS, *(c for c in frame.columns if c not in LEADING_COLUMNS)]].reset_index(
        drop=True
    )
    if expected:
        result.never_ran = never_ran(_normalised(pd.DataFrame.from_records(expected)), result.samples)
    return result


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """The derived and defaulted columns both readers, and the never-ran rows, share."""
    frame["provider"] = frame["model"].map(lambda model: str(model).split("/")[0])
    frame["variant"] = frame["variant"].fillna(DEFAULT_VARIANT)
    frame["setting"] = frame["setting"].fillna(DEFAULT_SETTING)
    frame["format"] = frame["format"].fillna(DEFAULT_FORMAT)
    for key in TAG_KEYS:  # both readers give None for a missing tag (samples_df would give pd.NA)
        frame[key] = frame[key].astype(object).where(frame[key].notna(), None)
    # Logs written before condition sets existed used the free/paid tiers.
    frame["condition_set"] = frame["condition_set"].fillna(DEFAULT_CONDITION_SET)
    return frame


@dataclass
class _FileRead:
    """What reading one log gave: its status, its rows (None: read it through Inspect), or a problem."""

    file: str
    status: str | None = None
    included: bool = False
    records: list[dict[str, Any]] | None = None
    expected: list[dict[str, Any]] = field(default_factory=list)
    """Every sample × epoch it selected, if it did not end in success (a successful run ran them all)."""
    problem: str | None = None


PARALLEL_FROM_FILES = 4
"""Below this many logs, worker processes cost more than they save."""


def _read_files(files: list[str], include_unsuccessful: bool) -> Iterator[_FileRead]:
    """Read each log, in worker processes when there are several (JSON parsing is CPU-bound)."""
    workers = min(os.cpu_count() or 1, 8, len(files))
    if workers < 2 or len(files) < PARALLEL_FROM_FILES:
        yield from (_read_file(file, include_unsuccessful) for file in files)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_read_file, files, [include_unsuccessful] * len(files))


def _read_file(file: str, include_unsuccessful: bool) -> _FileRead:
    try:
        header = read_eval_log(file, header_only=True)
        read = _FileRead(file=file, status=header.status)
        read.included = header.status == "success" or include_unsuccessful
        if read.included:
            summaries = _eval_summaries(file)
            read.records = None if summaries is None else _records(header, file, summaries)
        if read.included and header.status != "success":
            shared = _shared(header, file)
            selected = expected_samples(header.eval.dataset.sample_ids, header.eval.config.epochs, header.eval.metadata)
            read.expected = [shared | dict(zip(NEVER_RAN_COLUMNS, row)) for row in selected]
        return read
    except Exception as error:  # noqa: BLE001 - any unreadable file is skipped the same way
        return _FileRead(file=file, problem=f"{type(error).__name__}: {error}")


LEADING_COLUMNS = [
    "log",
    "eval_id",
    "created",
    "model",
    "provider",
    "task",
    "task_version",
    "scenario",
    "variant",
    "setting",
    "format",
    *TAG_KEYS,
    "status",
    "sample_id",
    "query_id",
    "condition",
    "training_condition",
    "condition_set",
    "epoch",
    "outcome",
    "error",
]


def _inspect_samples_df(files: list[str]) -> pd.DataFrame:
    """Inspect's own reader, with the explicit column paths above (any log format)."""
    frame = samples_df(files, columns=[*EVAL_COLUMNS, *SAMPLE_COLUMNS], quiet=True)
    frame = frame.rename(columns=lambda name: name.removeprefix("scores_"))
    return frame.rename(columns={"sample_id": "sample_uuid", "id": "sample_id"})


def _eval_summaries(file: str) -> list[dict[str, Any]] | None:
    """The sample summaries of a finished `.eval` log, parsed as plain JSON; None if there are none.

    `samples_df` validates and thins every summary through pydantic, about 1.2 ms a sample with
    the judges' metadata (25 s for a 20k-sample sweep on 2 cores); the same fields read as JSON
    take a tenth of that. Other formats, and logs without a summaries file, go through Inspect.
    """
    if not file.endswith(".eval") or not Path(file).is_file():
        return None
    with zipfile.ZipFile(file) as archive:
        try:
            return json.loads(archive.read(SUMMARIES_MEMBER))
        except KeyError:
            return None


SUMMARIES_MEMBER = "summaries.json"


def _records(header: EvalLog, file: str, summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows `_inspect_samples_df` would give, built from the header and the plain summaries."""
    shared = _shared(header, file)
    rows = []
    for summary in summaries:
        metadata = summary.get("metadata") or {}
        rows.append(
            shared
            | {
                "sample_uuid": summary.get("uuid"),
                "sample_id": str(summary["id"]),
                "epoch": summary["epoch"],
                "query_id": metadata.get("query_id"),
                "condition": metadata.get("condition"),
                "training_condition": metadata.get("training_condition"),
                "condition_set": metadata.get("condition_set"),
                "error": summary.get("error"),
            }
            | _flatten_scores(summary.get("scores"))
        )
    return rows


def _shared(header: EvalLog, file: str) -> dict[str, Any]:
    """The columns every row of one log shares, from its header."""
    evaluation = header.eval
    return {
        "log": file,
        "eval_id": evaluation.eval_id,
        "model": evaluation.model,
        "task": evaluation.task,
        "task_version": str(evaluation.task_version) if evaluation.task_version is not None else None,
        "scenario": (evaluation.metadata or {}).get("scenario"),
        "variant": (evaluation.metadata or {}).get("variant"),
        "format": (evaluation.metadata or {}).get("format"),
        "setting": _setting_text(evaluation.task_args_passed),
        "created": evaluation.created,
        "status": header.status,
    } | run_tags(evaluation.metadata)
