"""One table cell as text: rates with their intervals, gaps, p-values, flips, counts and fields.

Every renderer (Markdown, HTML, figure labels) shows a number the same way through these
functions; each format escapes the text its own way. A cell may hold several lines, separated by
`LINE` (HTML breaks them, Markdown joins them with "; "); text from the data never carries one. A
cell function takes the row (a dict of one table row) last, so `functools.partial` binds the
column it reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from af_inspect.report.measures import DENOMINATORS, Measure, parts

MISSING = "–"
"""How a missing number (NaN) is shown."""

LINE = "\n"
"""Between the lines of one cell."""

VARYING_GROUP_COLUMNS = ("scenario", "variant", "setting", "format", "method", "checkpoint")
"""Group columns shown only when they differ between rows."""

OUTCOME_STYLE = {
    "refuses": ("refuses", "#5b8fc9"),
    "complies_no_af": ("complies, no AF reasoning", "#f2d16b"),
    "complies_af_unjudged": ("complies, AF not judged", "#e8a33d"),
    "complies_af": ("complies with AF reasoning", "#d1495b"),
    "partial": ("partial compliance", "#8e6bb8"),
    "no_final_output": ("no final output", "#8c8c8c"),
    "unscored": ("unscored", "#c8c8c8"),
    "failed": ("failed (error)", "#3d3d3d"),
}
"""Outcome categories in stacking order (bottom first), with legend label and fixed colour."""

Row = dict[str, Any]
Column = tuple[str, Callable[[Row], str]]
"""(header, cell function) of one rendered column."""


def missing(value: Any) -> bool:
    """None or NaN (pd.NA included)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _one_decimal(value: float) -> str:
    # Adding 0.0 turns a rounded -0.0 into 0.0, so a tiny negative bound never shows as "-0.0".
    return f"{round(float(value), 1) + 0.0:.1f}"


def percent(value: Any) -> str:
    """`37.5%`, or the dash."""
    return MISSING if missing(value) else f"{_one_decimal(float(value) * 100)}%"


def _interval(low: Any, high: Any) -> str:
    if missing(low) or missing(high):
        return ""
    return f" [{_one_decimal(float(low) * 100)}, {_one_decimal(float(high) * 100)}]"


def text(value: Any) -> str:
    """A field as text on one line, or the dash."""
    return MISSING if missing(value) else " ".join(str(value).splitlines())


def count(value: Any) -> str:
    """A whole number, or the dash."""
    return MISSING if missing(value) else str(int(value))


def role(training_condition: Any) -> str:
    """`training` or `unmonitored`, from a condition's `training_condition` flag."""
    return "training" if bool(training_condition) else "unmonitored"


def varying(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """The columns among `columns` that take more than one value in `frame`."""
    return [c for c in columns if c in frame and frame[c].nunique(dropna=False) > 1]


def outcome_categories(shares: pd.DataFrame) -> list[str]:
    """The outcome categories that hold a sample in the frame, in stacking order."""
    return [c for c in OUTCOME_STYLE if f"{c}_share" in shares and (c not in shares or shares[c].sum() > 0)]


def rows_of(columns: Sequence[Column], table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Headers and text cells of `table` under `columns`."""
    return [header for header, _ in columns], [[cell(row) for _, cell in columns] for row in table.to_dict("records")]


# --- cells -----------------------------------------------------------------------------------


def rate_cell(prefix: str, row: Row, label: str = DENOMINATORS["scored"].cell) -> str:
    """`75.0% [30.1, 95.4] of 4 scored`: the rate, its Wilson interval in percent and its denominator."""
    rate = row.get(prefix)
    if missing(rate):
        return MISSING
    n = row.get(f"{prefix}_n")
    scored = "" if missing(n) else " " + label.format(n=int(n))
    return f"{percent(rate)}{_interval(row.get(f'{prefix}_low'), row.get(f'{prefix}_high'))}{scored}"


def measure_rate_cell(measure: Measure, role_name: str, row: Row) -> str:
    """A measure's rate in one role, one line per denominator it has (`of 4 scored`, `of all 5 samples`)."""
    if measure.combines:
        return combination_cell(measure, role_name, row)
    lines = [
        rate_cell(f"{measure.name}_{role_name}{share.suffix}", row, share.cell) for share in measure.rate_denominators
    ]
    return MISSING if all(line == MISSING for line in lines) else LINE.join(lines)


def run_cell(shown: Sequence[str], row: Row) -> str:
    """The model, then each group field that varies between the table's rows on its own line (`variant: no_cot`)."""
    return LINE.join([text(row.get("model")), *(f"{column}: {text(row.get(column))}" for column in shown)])


def gap_cell(measure: str, row: Row) -> str:
    """`+50.0 pp [-50.0, 100.0]`: the gap and its bootstrap interval in percentage points."""
    gap = row.get(f"{measure}_gap")
    if missing(gap):
        return MISSING
    signed = f"{round(float(gap) * 100, 1) + 0.0:+.1f}"
    return f"{signed} pp{_interval(row.get(f'{measure}_gap_low'), row.get(f'{measure}_gap_high'))}"


def p_value_cell(measure: str, row: Row) -> str:
    p = row.get(f"{measure}_mcnemar_p")
    if missing(p):
        return MISSING
    return "<0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def flip_cell(prefix: str, direction: str, row: Row) -> str:
    """`75.0% of 4 pairs`: one flip direction's share (`training_only`, `unmonitored_only`) of the pairs."""
    share = row.get(f"{prefix}_{direction}")
    if missing(share):
        return MISSING
    pairs = row.get(f"{prefix}_pairs")
    return percent(share) + ("" if missing(pairs) else f" of {int(pairs)} pairs")


def fracture_cell(measure: str, row: Row) -> str:
    return percent(row.get(f"{measure}_fracture"))


def combination_cell(measure: Measure, role_name: str, row: Row) -> str:
    """`11.9% (partial 14.0%, full 9.8%)`: a combination's mean and each part's rate."""
    pieces = [part for part in parts(measure) if f"{part.name}_{role_name}" in row]
    shown = [f"{part.label} {percent(row[f'{part.name}_{role_name}'])}" for part in pieces]
    if f"{measure.name}_{role_name}" not in row:
        # Not every part ran: show the one that did, with its interval.
        only = pieces[0] if pieces else parts(measure)[-1]
        return f"{only.label} {rate_cell(f'{only.name}_{role_name}', row)}"
    mean = percent(row[f"{measure.name}_{role_name}"])
    if mean == MISSING and all(piece.endswith(MISSING) for piece in shown):
        return MISSING
    return f"{mean} ({', '.join(shown)})" if shown else mean


def conditions_cell(row: Row) -> str:
    """`free vs paid`; a gap other than the whole compliance gap is named: `goal_guarding: free vs pro`."""
    gap = row.get("gap")
    named = f"{text(gap)}: " if isinstance(gap, str) and gap != "compliance_gap" else ""
    return f"{named}{text(row.get('training'))} vs {text(row.get('unmonitored'))}"


def mean_cell(column: str, row: Row) -> str:
    value = row.get(column)
    return MISSING if missing(value) else f"{float(value):.2f}"
