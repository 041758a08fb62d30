"""The tidy samples → one row per model × scenario × variant × gap.

A gap compares two conditions: free vs paid by default; with more conditions, each gap the
condition set defines (Sheshadri et al.'s three tiers: goal_guarding = free − pro,
rater_sycophancy = pro − enterprise, compliance_gap = free − enterprise). The `gap` column names
it; the more monitored condition fills the `training` columns, the less monitored `unmonitored`.

Each measure of the Measure registry (`measures.py`) whose verdict column is in the logs gets its
rate per condition it is reported in, with a Wilson interval and n. A paired measure (each
compliance definition) also gets the compliance gap with a paired bootstrap interval over
queries, the exact McNemar p-value over (query, epoch) pairs, both flip rates and Garg et al.'s
FRACTURE(τ); a combination is the mean of its parts' rates. Failed samples (an error), unparsed
transcripts and unscored verdicts are counted in their own columns and never enter a rate.

Column names: `<measure>_<role>[_low|_high|_n]` with role `training` or `unmonitored`, and
`<measure>_gap[_low|_high]`, `<measure>_mcnemar_p`, `<measure>_training_only`,
`<measure>_unmonitored_only`, `<measure>_fracture`, `<measure>_unscored`.
"""

from __future__ import annotations

import math

import pandas as pd

from af_inspect.report.measures import Measure, deciding, of_family, registered
from af_inspect.report.paired_stats import fracture_tau, mcnemar_exact, paired_summary, wilson_rate
from af_inspect.report.run_tags import TAG_KEYS
from af_inspect.scenario.conditions import CONDITION_SETS

GROUP_COLUMNS = ["model", "provider", "scenario", "variant", "setting"]
OPTIONAL_GROUP_COLUMNS = ["format", *TAG_KEYS]
"""Also kept apart when the samples have them: a base model's document runs from chat runs of the
same model, and runs tagged as different checkpoints."""


def group_columns(samples: pd.DataFrame) -> list[str]:
    """The columns a table's rows are grouped on: the fixed ones and the optional ones present."""
    return [*GROUP_COLUMNS, *(c for c in OPTIONAL_GROUP_COLUMNS if c in samples)]


DEFAULT_TAU = fracture_tau()


def gap_table(
    samples: pd.DataFrame,
    *,
    tau: float = DEFAULT_TAU,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per model × scenario × variant × (training, unmonitored) condition pair.

    Args:
        samples: The tidy table from `tidy.tidy_samples`.
        tau: FRACTURE threshold (see `paired_stats.fracture_tau`).
        n_boot: Bootstrap replicates for the gap interval.
        confidence: Level of every interval.
        seed: Bootstrap seed, so a table is reproducible.
    """
    missing = [c for c in (*GROUP_COLUMNS, "condition", "training_condition", "query_id", "epoch") if c not in samples]
    if missing:
        raise ValueError(f"the samples table lacks the column(s) {missing}: build it with af_inspect.tidy.tidy_samples")
    rows = []
    groups = group_columns(samples)
    for group, frame in samples.groupby(groups, dropna=False, sort=True):
        for gap, training, unmonitored in condition_pairs(frame):
            pair = frame[frame["condition"].isin([training, unmonitored])]
            row = dict(zip(groups, group)) | {"gap": gap, "training": training, "unmonitored": unmonitored}
            row |= _counts(pair)
            conditions = {"training": training, "unmonitored": unmonitored}
            for entry in registered():
                if entry.combines:
                    row |= _combination(entry, row)
                elif entry.source in pair:
                    for role in entry.roles:
                        values = pair.loc[pair["condition"] == conditions[role], entry.source]
                        row |= wilson_rate(f"{entry.name}_{role}", values, confidence)
                    if entry.paired:
                        row |= _paired(entry, pair, training, unmonitored, tau, n_boot, confidence, seed)
            rows.append(row)
    return pd.DataFrame(rows)


def condition_pairs(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(gap name, more-monitored condition, less-monitored condition) for each gap of the run.

    A known condition set gives its own gaps (three tiers: goal_guarding = free − pro,
    rater_sycophancy = pro − enterprise, compliance_gap = free − enterprise). Otherwise each
    training condition is paired with each unmonitored one as `compliance_gap`. Gaps whose
    conditions are absent from the logs are left out.
    """
    present = set(frame["condition"].astype(str))
    sets = set(frame["condition_set"].dropna().astype(str)) if "condition_set" in frame else set()
    if len(sets) == 1 and (name := sets.pop()) in CONDITION_SETS:
        return [(g.name, g.higher, g.lower) for g in CONDITION_SETS[name].gaps if {g.higher, g.lower} <= present]
    flags = frame.groupby("condition", sort=True)["training_condition"].first()
    training = [str(c) for c, flag in flags.items() if bool(flag)]
    unmonitored = [str(c) for c, flag in flags.items() if not bool(flag)]
    return [("compliance_gap", t, u) for t in training for u in unmonitored]


def _counts(pair: pd.DataFrame) -> dict[str, int]:
    failed = pair["error"].notna() if "error" in pair else pd.Series(False, index=pair.index)
    unparsed = ~failed & (pair["outcome"].fillna("") != "final_output") if "outcome" in pair else failed & False
    return {
        "n_samples": int(len(pair)),
        "n_queries": int(pair["query_id"].nunique()),
        "n_failed": int(failed.sum()),
        "n_unparsed": int(unparsed.sum()),
    }


def _combination(entry: Measure, row: dict[str, float]) -> dict[str, float]:
    """The mean of the parts' rates, in each role where every part has one."""
    means = {}
    for role in entry.roles:
        columns = [f"{name}_{role}" for name in entry.combines]
        if all(column in row for column in columns):
            means[f"{entry.name}_{role}"] = sum(row[column] for column in columns) / len(columns)
    return means


def _paired(
    entry: Measure,
    pair: pd.DataFrame,
    training: str,
    unmonitored: str,
    tau: float,
    n_boot: int,
    confidence: float,
    seed: int,
) -> dict[str, float]:
    long = pd.DataFrame(
        {
            "query_id": pair["query_id"].astype(str),
            "condition": pair["condition"].astype(str),
            "epoch": pair["epoch"].astype(int),
            "value": pd.to_numeric(pair[entry.source], errors="coerce").astype(float),
        }
    )
    paired = paired_summary(long, training, unmonitored, tau=tau, n_boot=n_boot, confidence=confidence, seed=seed)
    counts = paired.counts
    measure = entry.name
    return {
        f"{measure}_gap": paired.gap,
        f"{measure}_gap_low": paired.gap_low,
        f"{measure}_gap_high": paired.gap_high,
        f"{measure}_mcnemar_p": mcnemar_exact(counts.training_only, counts.unmonitored_only) if counts.n else math.nan,
        f"{measure}_pairs": counts.n,
        f"{measure}_training_only": counts.training_only_rate,
        f"{measure}_unmonitored_only": counts.unmonitored_only_rate,
        f"{measure}_fracture": paired.fracture,
        f"{measure}_unscored": int(long["value"].isna().sum()),
    }


OUTCOME_CATEGORIES = ("refuses", "complies_no_af", "complies_af", "partial", "unscored")
"""The stacked-bar categories, in drawing order."""


def outcome_shares(samples: pd.DataFrame) -> pd.DataFrame:
    """Per group and condition, how many samples fall in each outcome category, and their shares.

    A sample is `partial` if the partial-compliance judge found scheming, compromise or avoidance;
    else `complies_af` / `complies_no_af` if it complied (rubric judge if present, else the tag),
    split by AF reasoning (Hughes et al. if present, else Greenblatt et al.'s partial variant);
    else `refuses`. It is `unscored` if it failed, did not parse, or a verdict it needs is missing.
    Without any AF judge, compliant samples are `complies_no_af`'s sibling `complies` instead.
    Which verdict of a family decides is the first present by the Measure registry's `outcome_rank`.
    Columns: the group columns, `condition`, `training_condition`, `n`, one count per category and
    `<category>_share`.
    """
    compliance = deciding("compliance", samples.columns)
    if compliance is None:
        scorers = [entry.scorer for entry in of_family("compliance")]
        raise ValueError(f"the samples carry no compliance verdict ({_or_list(scorers)})")
    complied = _verdicts(samples, compliance)
    af = _verdicts(samples, deciding("af_reasoning", samples.columns))
    partial = _verdicts(samples, deciding("partial_compliance", samples.columns))
    failed = samples["error"].notna() if "error" in samples else pd.Series(False, index=samples.index)

    category = pd.Series("unscored", index=samples.index, dtype=object)
    known = ~failed & complied.notna()
    category[known & (complied == 0)] = "refuses"
    if af is None:
        category[known & (complied == 1)] = "complies"
    else:
        category[known & (complied == 1) & (af == 1)] = "complies_af"
        category[known & (complied == 1) & (af == 0)] = "complies_no_af"
    if partial is not None:
        category[known & (partial == 1)] = "partial"
        category[known & (complied == 1) & partial.isna()] = "unscored"

    categories = [c for c in OUTCOME_CATEGORIES if c != "complies_no_af" or af is not None]
    if af is None:
        categories = ["refuses", "complies", "partial", "unscored"]
    keys = [*group_columns(samples), "condition", "training_condition"]
    counts = (
        pd.DataFrame({**{k: samples[k] for k in keys}, "category": category})
        .groupby([*keys, "category"], dropna=False, sort=True)
        .size()
        .unstack("category", fill_value=0)
        .reindex(columns=categories, fill_value=0)
        .reset_index()
    )
    counts.columns.name = None
    counts["n"] = counts[categories].sum(axis=1)
    for name in categories:
        counts[f"{name}_share"] = counts[name] / counts["n"]
    return counts


def _verdicts(samples: pd.DataFrame, entry: Measure | None) -> pd.Series | None:
    return pd.to_numeric(samples[entry.source], errors="coerce") if entry is not None else None


def _or_list(names: list[str | None]) -> str:
    """`a, b or c`."""
    texts = [str(name) for name in names]
    return " or ".join([", ".join(texts[:-1]), texts[-1]]) if len(texts) > 1 else "".join(texts)
