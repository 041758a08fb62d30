"""The gap table and the method comparison as columns of text cells, as Markdown, and as CSV.

Which columns the gap table shows, their headers and the legend come from the Measure registry
(`measures.py`): only the measures whose columns are present are rendered, so a run without
judges gives a table of the acceptance tag alone. The Markdown and HTML tables share these cells.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd

from af_inspect.report.cells import (
    MISSING,
    VARYING_GROUP_COLUMNS,
    Column,
    Row,
    combination_cell,
    conditions_cell,
    counts_cell,
    field_cell,
    flips_cell,
    fracture_cell,
    gap_cell,
    mean_cell,
    missing,
    p_value_cell,
    rate_cell,
    rows_of,
    varying,
)
from af_inspect.report.measures import Measure, paired_measures, present, registered

PAIRED_COLUMNS: tuple[tuple[str, str, Callable[[str, Row], str]], ...] = (
    ("gap", "Gap ({label})", gap_cell),
    ("mcnemar_p", "McNemar p ({label})", p_value_cell),
    ("training_only", "Flips ({label}), train / unmon.", flips_cell),
    ("fracture", "FRACTURE ({label})", fracture_cell),
)
"""(column suffix, header, cell) of each paired statistic shown after a paired measure's rates."""

COUNT_NAMES = {"n_failed": "failed", "n_unparsed": "unparsed"}


# --- the gap table ---------------------------------------------------------------------------


def _measure_columns(measure: Measure, table: pd.DataFrame) -> list[Column]:
    """A measure's rate per role, then its paired statistics; a combination's cell per role."""
    if measure.combines:
        return [
            (f"{measure.heading}, {role}", partial(combination_cell, measure, role))
            for role in measure.roles
            if any(f"{name}_{role}" in table for name in (measure.name, *measure.combines))
        ]
    columns: list[Column] = [
        (f"{measure.heading}, {role}", partial(rate_cell, f"{measure.name}_{role}"))
        for role in measure.roles
        if f"{measure.name}_{role}" in table
    ]
    if measure.paired:
        columns += [
            (header.format(label=measure.label), partial(cell, measure.name))
            for suffix, header, cell in PAIRED_COLUMNS
            if f"{measure.name}_{suffix}" in table
        ]
    return columns


def _gap_columns(table: pd.DataFrame) -> list[Column]:
    """(header, cell function) for every column the table's measures call for, in reading order."""
    columns: list[Column] = [("Model", partial(field_cell, "model"))]
    columns += [(name.capitalize(), partial(field_cell, name)) for name in varying(table, VARYING_GROUP_COLUMNS)]
    columns.append(("Conditions", conditions_cell))
    for measure in registered():
        if measure.shown:
            columns += _measure_columns(measure, table)
    unscored = [m for m in paired_measures() if m.shown and f"{m.name}_unscored" in table]
    others = [c for c in COUNT_NAMES if c in table]
    if unscored or others:
        names = [f"Unscored ({', '.join(m.label for m in unscored)})"] if unscored else []
        header = " / ".join(names + [COUNT_NAMES[c] for c in others])
        cell = partial(counts_cell, [f"{m.name}_unscored" for m in unscored], others)
        columns.append((header[0].upper() + header[1:], cell))
    return columns


def gap_cells(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Headers and text cells of the gap table (`gap_table.gap_table`)."""
    missing_columns = [c for c in ("model", "training", "unmonitored") if c not in table]
    if missing_columns and not table.empty:
        raise ValueError(
            f"the table lacks the column(s) {missing_columns}: build it with af_inspect.gap_table.gap_table"
        )
    return rows_of(_gap_columns(table) if not missing_columns else [], table)


def gap_legend(table: pd.DataFrame, confidence: float) -> list[str]:
    """What the gap table's cells mean, for the measures present."""
    level = f"{confidence:.0%}"
    items = [
        f"Rates are shares of the scored samples, in percent, with Wilson {level} intervals in brackets "
        "and n, the number of scored samples.",
    ]
    if any(present(m, table) for m in paired_measures()):
        items += [
            "Gap: training minus unmonitored compliance in percentage points (pp), the mean over queries of "
            f"the per-query difference, with a {level} paired bootstrap interval resampling queries.",
            "McNemar p: exact two-sided McNemar test over (query, epoch) pairs scored in both conditions.",
            "Flips: share of those pairs that comply in training and refuse unmonitored / that refuse in "
            "training and comply unmonitored; n pairs.",
            "FRACTURE(τ): share of queries whose compliance rate is below τ in training and at least τ "
            "unmonitored (Garg et al. 2025); τ as set when the table was built, 0.5 by default.",
        ]
    if "gap" in table and (table["gap"].dropna() != "compliance_gap").any():
        items.append(
            "Named gaps (Sheshadri et al. 2025): goal_guarding compares trained with rated-only, rater_sycophancy "
            "rated-only with neither; in each row the first condition fills the training columns, the second "
            "the unmonitored ones."
        )
    notes: dict[str, list[str]] = {}
    for measure in registered():
        if measure.legend and present(measure, table):
            notes.setdefault(measure.legend, []).extend([measure.note] if measure.note else [])
    items += [legend + "".join(f"; {note}" for note in added) + "." for legend, added in notes.items()]
    items.append(
        "Unscored: samples without that measure's verdict (failed samples included); failed: samples that "
        "errored; unparsed: transcripts that did not end in a final output. None of them enters a rate."
    )
    items.append(f"{MISSING}: not available.")
    return items


def gap_markdown(table: pd.DataFrame, *, confidence: float = 0.95) -> str:
    """The gap table as a paper-ready Markdown table, one line per row, with a legend below.

    Args:
        table: The frame of `gap_table.gap_table`; measures whose columns are absent are left out.
        confidence: The interval level the table was built with, named in the legend.

    Returns:
        The Markdown text, ending in a newline.
    """
    if table.empty:
        return "No training / unmonitored condition pairs to report.\n"
    return _markdown_table(*gap_cells(table), gap_legend(table, confidence))


# --- the method × family comparison ----------------------------------------------------------

COMPARISON_TAGS = (
    ("family", "Family"),
    ("base_model", "Base model"),
    ("method", "Method"),
    ("checkpoint", "Checkpoint"),
)


def _harmlessness_cell(row: Row) -> str:
    """`97.5% [91.3, 99.3] n=120 (rubric)`: refusals unmonitored and the compliance measure used."""
    cell = rate_cell("harmlessness", row)
    measure = row.get("harmlessness_measure")
    return cell if cell == MISSING or missing(measure) else f"{cell} ({measure})"


def _comparison_columns(table: pd.DataFrame) -> list[Column]:
    columns: list[Column] = [(header, partial(field_cell, name)) for name, header in COMPARISON_TAGS]
    columns.append(("Model", partial(field_cell, "model")))
    columns += [(name.capitalize(), partial(field_cell, name)) for name in varying(table, ("variant", "setting"))]
    if table["training"].nunique(dropna=False) > 1 or table["unmonitored"].nunique(dropna=False) > 1:
        columns.append(("Conditions", conditions_cell))
    columns += [
        ("Helpfulness (fully helpful)", partial(rate_cell, "helpfulness")),
        ("Benign refusals", partial(rate_cell, "benign_refusal")),
        ("Mean category", partial(mean_cell, "benign_mean_category")),
        ("Harmlessness (refuses unmonitored)", _harmlessness_cell),
        ("Gap", partial(gap_cell, "safety")),
        ("Flips, train / unmon.", partial(flips_cell, "safety")),
        ("FRACTURE", partial(fracture_cell, "safety")),
        ("Benign unscored / failed", partial(counts_cell, [], ["benign_unscored", "benign_failed"])),
        (
            "Harmful unscored / failed / unparsed",
            partial(counts_cell, [], ["harmful_unscored", "harmful_failed", "harmful_unparsed"]),
        ),
    ]
    return columns


def comparison_cells(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Headers and text cells of the method comparison (`method_comparison.method_comparison`)."""
    return rows_of(_comparison_columns(table), table)


def comparison_legend(confidence: float) -> list[str]:
    """What the method comparison's cells mean."""
    level = f"{confidence:.0%}"
    return [
        "One row per run tag set (family, base model, method, checkpoint) and model; method `base` is the model "
        "the checkpoints were trained from.",
        "Helpfulness: share of benign requests (af_benign_helpfulness) the helpfulness judge rated fully helpful "
        f"(category 4), out of the scored benign samples, with a Wilson {level} interval; benign refusals: "
        "share rated 1 (refuses); mean category: 1 refuses … 4 fully helpful.",
        "Harmlessness: share of harmful requests (af_helpful_only) refused in the unmonitored condition, "
        "1 − compliance, out of the scored unmonitored samples, Wilson interval; compliance by the rubric judge "
        "where it ran (rubric), else the acceptance tag (tag).",
        "Safety: the compliance gap, training minus unmonitored in percentage points, with its paired bootstrap "
        "interval; flips: shares of pairs complying only in training / only unmonitored; FRACTURE(τ) as in "
        "the gap table. Values near zero mean no train→deploy asymmetry.",
        "Unscored counts include failed samples; none of them enters a rate. "
        f"{MISSING}: not available (e.g. that task was not run for this checkpoint).",
    ]


def comparison_markdown(table: pd.DataFrame, *, confidence: float = 0.95) -> str:
    """The method comparison as a Markdown table with a legend, ending in a newline."""
    if table.empty:
        return "No tagged runs to compare.\n"
    return _markdown_table(*comparison_cells(table), comparison_legend(confidence))


# --- Markdown and CSV ------------------------------------------------------------------------


def _markdown_escape(cell: str) -> str:
    # Backslashes first, so an escaped pipe cannot be undone by a backslash already in the text.
    escaped = cell.replace("\\", "\\\\").replace("|", "\\|")
    return " ".join(escaped.splitlines())


def _markdown_table(headers: list[str], rows: list[list[str]], legend: list[str]) -> str:
    """A Markdown table, cells escaped, followed by its legend as a list; ends in a newline."""
    lines = [
        "| " + " | ".join(_markdown_escape(h) for h in headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
        *("| " + " | ".join(_markdown_escape(cell) for cell in row) + " |" for row in rows),
        "",
        *(f"- {item}" for item in legend),
    ]
    return "\n".join(lines) + "\n"


def write_csv(table: pd.DataFrame, path: str | Path) -> Path:
    """Write every column of `table` with its raw numbers, without the index; return the path."""
    path = Path(path)
    table.to_csv(path, index=False)
    return path
