"""Which run a sample belongs to: a re-run replaces its predecessor, and a stopped run's missing samples are counted.

A run is identified by `RUN_IDENTITY` (model, task, scenario, variant, setting and the run tags).
Two logs of one run holding the same sample and epoch keep the newer log's row. A log's header
holds the samples it selected (`eval.dataset.sample_ids`, after `--limit`) and its epochs
(`eval.config.epochs`); any (sample, epoch) of them that is in no log of the same run never ran,
as when a run stops on an error (Inspect's default fail-on-error) or is cancelled. Its condition
comes from the sample id, which `scenario.samples.paired_samples` writes as `<query id>-<condition>`
of the run's condition set (`eval.metadata.conditions`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from af_inspect.report.run_tags import TAG_KEYS
from af_inspect.scenario.conditions import CONDITION_SETS, DEFAULT_CONDITION_SET

RUN_IDENTITY = ["model", "task", "scenario", "variant", "setting", *TAG_KEYS]
"""Two checkpoints served under one model name stay apart by their tags."""

NEVER_RAN_COLUMNS = ["sample_id", "epoch", "query_id", "condition", "training_condition", "condition_set"]
"""Besides the run's own columns (those of `RUN_IDENTITY`, the log and its group columns)."""


def run_key(frame: pd.DataFrame) -> pd.Series:
    """One text key per row for its run, so a missing tag (None) matches another missing tag in every lookup."""
    rows = frame[RUN_IDENTITY].itertuples(index=False)
    keys = ["\x1f".join("" if pd.isna(value) else str(value) for value in row) for row in rows]
    return pd.Series(keys, index=frame.index, dtype=object)


def newest_run_wins(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Where two logs hold the same sample and epoch of the same run, keep the newer log.

    A re-run replaces its predecessor rather than doubling its samples; (older log, newer log) pairs
    are returned so the report can list them.
    """
    ordered = frame.sort_values("created", ascending=False, kind="stable")
    identity = run_key(ordered)
    duplicate = pd.DataFrame(
        {"run": identity, "sample_id": ordered["sample_id"], "epoch": ordered["epoch"]}
    ).duplicated(keep="first")
    if not duplicate.any():
        return frame, []
    newest = pd.Series(ordered["log"].to_numpy(), index=identity.to_numpy())
    newest = newest[~newest.index.duplicated(keep="first")]
    losers = pd.DataFrame({"run": identity, "log": ordered["log"]}).loc[duplicate].drop_duplicates("log")
    superseded = [(row.log, newest.loc[row.run]) for row in losers.itertuples()]
    kept = ordered.loc[~duplicate].sort_index()
    return kept, superseded


def expected_samples(dataset_ids: list[Any] | None, epochs: int | None, metadata: dict[str, Any] | None):
    """(sample id, epoch, query id, condition, training flag, condition set) of every sample a log selected.

    Ids that are not `<query id>-<condition>` of the log's condition set (another task's samples) are
    not counted: their condition cannot be known without running them.
    """
    set_name = (metadata or {}).get("conditions") or DEFAULT_CONDITION_SET
    arms = CONDITION_SETS.get(str(set_name))
    if arms is None:
        return []
    rows = []
    for sample_id in dataset_ids or []:
        text = str(sample_id)
        arm = next((c for c in arms.conditions if text.endswith(f"-{c.name}")), None)
        if arm is None:
            continue
        query = text[: -len(arm.name) - 1]
        rows += [(text, epoch, query, arm.name, arm.training, arms.name) for epoch in range(1, (epochs or 1) + 1)]
    return rows


def never_ran(expected: pd.DataFrame, samples: pd.DataFrame) -> pd.DataFrame:
    """The rows of `expected` (one per selected sample × epoch of a log) that no log of the run holds."""
    if expected.empty:
        return expected
    keys = ["_run", "sample_id", "epoch"]
    present = pd.DataFrame({"_run": run_key(samples), "sample_id": samples["sample_id"], "epoch": samples["epoch"]})
    wanted = expected.assign(_run=run_key(expected)).drop_duplicates(keys)
    merged = wanted.merge(present.drop_duplicates(), on=keys, how="left", indicator=True)
    missing = merged[merged["_merge"] == "left_only"]
    return missing.drop(columns=["_run", "_merge"]).reset_index(drop=True)
