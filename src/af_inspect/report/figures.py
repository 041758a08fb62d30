"""PNG figures of the report: stacked outcome shares and a forest plot of a measure's gap.

The figures need matplotlib, the optional extra `report`; it is imported only when a figure is
drawn, onto a Figure with the Agg canvas (no pyplot, so no global figure state).
"""

from __future__ import annotations

import io
import math
import textwrap
from typing import Any

import pandas as pd

from af_inspect.report.cells import (
    OUTCOME_STYLE,
    VARYING_GROUP_COLUMNS,
    conditions_cell,
    missing,
    outcome_categories,
    role,
    text,
    varying,
)
from af_inspect.report.measures import named, ranked


def _matplotlib() -> tuple[Any, Any, Any]:
    """(Figure, FigureCanvasAgg, PercentFormatter), or an ImportError saying how to install them."""
    try:
        import matplotlib  # noqa: F401 - imported first so a missing package fails here, clearly
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import PercentFormatter
    except ImportError as error:
        raise ImportError("the report figures need matplotlib: pip install 'af-inspect[report]'") from error
    return Figure, FigureCanvasAgg, PercentFormatter


def _plain(label: str) -> str:
    # An even number of "$" would switch matplotlib to mathtext; data text is shown as typed.
    return label.replace("$", r"\$")


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    return buffer.getvalue()


def outcome_bars_png(shares: pd.DataFrame) -> bytes:
    """Stacked outcome shares, one bar per model × condition, the conditions of a model adjacent.

    Bars are labelled with the condition and its role ("free (training)"); each group is labelled
    with the model and, where they vary, scenario, variant and setting. The categories drawn are
    those holding a sample, in the order of `OUTCOME_STYLE`, each in its fixed colour.

    Returns:
        The figure as PNG bytes.
    """
    if not any(f"{c}_share" in shares for c in OUTCOME_STYLE):
        raise ValueError(
            f"the shares carry no outcome share column (one of {[f'{c}_share' for c in OUTCOME_STYLE]}): "
            "build them with af_inspect.gap_table.outcome_shares"
        )
    categories = outcome_categories(shares)
    if shares.empty or not categories:
        raise ValueError("the shares hold no sample: there is nothing to draw")
    Figure, FigureCanvasAgg, PercentFormatter = _matplotlib()

    keys = ["model", *varying(shares, VARYING_GROUP_COLUMNS)]
    positions: list[float] = []
    bar_labels: list[str] = []
    group_labels: list[tuple[float, str, int]] = []
    ordered = []
    cursor = 0.0
    for _, group in shares.groupby(keys, sort=False, dropna=False):
        group = group.assign(_unmonitored=~group["training_condition"].map(bool)).sort_values(
            ["_unmonitored", "condition"], kind="stable"
        )
        start = cursor
        for row in group.to_dict("records"):
            positions.append(cursor)
            bar_labels.append(f"{_plain(text(row['condition']))}\n({role(row['training_condition'])})")
            ordered.append(row)
            cursor += 1.0
        first = group.iloc[0]
        extras = [text(first[c]) for c in keys[1:]]
        label = text(first["model"]) + (f" ({', '.join(extras)})" if extras else "")
        group_labels.append(((start + cursor - 1) / 2, _plain(label), len(group)))
        cursor += 0.6

    slot_inches = 1.1
    figure = Figure(figsize=(1.5 + slot_inches * cursor + 2.2, 4.8))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bottoms = [0.0] * len(ordered)
    for category in categories:
        heights = [0.0 if missing(row.get(f"{category}_share")) else float(row[f"{category}_share"]) for row in ordered]
        label, colour = OUTCOME_STYLE[category]
        axes.bar(
            positions, heights, bottom=bottoms, width=0.8, color=colour, label=label, edgecolor="white", linewidth=0.5
        )
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    axes.set_ylim(0, 1)
    axes.yaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_ylabel("share of samples")
    axes.set_xticks(positions, bar_labels, fontsize=8)
    axes.tick_params(axis="x", length=0)
    for centre, label, n_bars in group_labels:
        # About 0.06 inch per character at 8 pt: wrap a long model name to its group's width.
        width = max(10, int(n_bars * slot_inches / 0.06))
        axes.annotate(
            textwrap.fill(label, width=width, break_long_words=True),
            xy=(centre, 0),
            xycoords=axes.get_xaxis_transform(),
            xytext=(0, -30),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=8,
            fontweight="bold",
        )
    axes.spines[["top", "right"]].set_visible(False)
    handles, labels = axes.get_legend_handles_labels()
    # Reversed, so the legend reads top to bottom like the stack.
    axes.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    return _png(figure)


def gap_forest_png(table: pd.DataFrame, measure: str | None = None) -> bytes:
    """Forest plot of one measure's compliance gap: a point and its interval per table row.

    Rows are labelled with the model and, where they vary, scenario, variant, setting and the
    condition pair; a row without a gap is labelled "n/a" and has no point.

    Args:
        table: The frame of `gap_table.gap_table`.
        measure: A paired measure's name, e.g. `complied_tag`; by default the compliance measure
            preferred to decide outcomes (`complied_rubric`).

    Returns:
        The figure as PNG bytes.
    """
    measure = measure or ranked("compliance")[0].name
    needed = [f"{measure}_gap", f"{measure}_gap_low", f"{measure}_gap_high"]
    if any(column not in table for column in needed):
        present = [c.removesuffix("_gap") for c in table.columns if c.endswith("_gap")]
        raise ValueError(f"the table has no gap for the measure '{measure}'; measures present: {present or 'none'}")
    Figure, FigureCanvasAgg, _ = _matplotlib()

    extras_columns = varying(table, VARYING_GROUP_COLUMNS)
    pairs_vary = len(table[["training", "unmonitored"]].drop_duplicates()) > 1 if "training" in table else False
    labels: list[str] = []
    rows = table.to_dict("records")
    for row in rows:
        extras = [text(row[c]) for c in extras_columns] + ([conditions_cell(row)] if pairs_vary else [])
        label = text(row.get("model")) + (f" ({', '.join(extras)})" if extras else "")
        labels.append(_plain(label) + (" (n/a)" if missing(row[f"{measure}_gap"]) else ""))

    figure = Figure(figsize=(7.5, 1.4 + 0.45 * max(len(rows), 1)))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.axvline(0, color="grey", linestyle="--", linewidth=1)
    drawn = []
    for y, row in enumerate(rows):
        gap, low, high = (row[c] for c in needed)
        if missing(gap):
            continue
        gap_pp = float(gap) * 100
        drawn.append(gap_pp)
        if not (missing(low) or missing(high)):
            low_pp, high_pp = float(low) * 100, float(high) * 100
            axes.hlines(y, low_pp, high_pp, color="black", linewidth=1.5)
            axes.vlines([low_pp, high_pp], y - 0.12, y + 0.12, color="black", linewidth=1.5)
            drawn += [low_pp, high_pp]
        axes.plot([gap_pp], [y], "o", color="black", markersize=6)
    if not drawn or all(math.isclose(value, 0.0) for value in drawn):
        axes.set_xlim(-10, 10)
    axes.set_yticks(range(len(rows)), labels, fontsize=8)
    axes.set_ylim(len(rows) - 0.5, -0.5)
    entry = named(measure)
    label = entry.label if entry is not None else measure.removeprefix("complied_")
    axes.set_xlabel(f"Compliance gap ({label}), scored samples: training − unmonitored, percentage points")
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)
