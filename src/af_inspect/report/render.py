"""The gap table and the outcome shares → Markdown, CSV, a static HTML page and PNG figures.

Inputs are the frames of `gap_table.gap_table` and `gap_table.outcome_shares`. Every measure is
optional: only the measures whose columns are present are rendered, so a run without judges gives
a table of the acceptance tag alone. The Markdown and HTML tables share one set of cells; each
format escapes text from the data its own way (model names and settings are never trusted).

The figures need matplotlib, the optional extra `report`; it is imported only when a figure is
drawn, onto a Figure with the Agg canvas (no pyplot, so no global figure state).
"""

from __future__ import annotations

import base64
import html
import io
import math
import textwrap
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from af_inspect.report.gap_table import COMPLIANCE_MEASURES

MISSING = "–"
"""How a missing number (NaN) is shown."""

COMPLIANCE_LABELS = {"complied_tag": "tag", "complied_rubric": "rubric", "complied_welfare": "welfare"}
"""Short names of the compliance definitions in column headers and figure titles."""

VARYING_GROUP_COLUMNS = ("scenario", "variant", "setting", "format", "method", "checkpoint")
"""Group columns shown only when they differ between rows."""

OUTCOME_STYLE = {
    "refuses": ("refuses", "#5b8fc9"),
    "complies": ("complies", "#f2b134"),
    "complies_no_af": ("complies, no AF reasoning", "#f2d16b"),
    "complies_af": ("complies with AF reasoning", "#d1495b"),
    "partial": ("partial compliance", "#8e6bb8"),
    "unscored": ("unscored", "#c8c8c8"),
}
"""Outcome categories in stacking order (bottom first), with legend label and fixed colour."""

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

Row = dict[str, Any]
Column = tuple[str, Callable[[Row], str]]


# --- numbers as text -------------------------------------------------------------------------


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _one_decimal(value: float) -> str:
    # Adding 0.0 turns a rounded -0.0 into 0.0, so a tiny negative bound never shows as "-0.0".
    return f"{round(float(value), 1) + 0.0:.1f}"


def _percent(value: Any) -> str:
    return MISSING if _missing(value) else f"{_one_decimal(float(value) * 100)}%"


def _interval(low: Any, high: Any) -> str:
    if _missing(low) or _missing(high):
        return ""
    return f" [{_one_decimal(float(low) * 100)}, {_one_decimal(float(high) * 100)}]"


def _text(value: Any) -> str:
    return MISSING if _missing(value) else str(value)


# --- cells of the gap table ------------------------------------------------------------------


def _rate_cell(prefix: str, row: Row) -> str:
    """`75.0% [30.1, 95.4] n=4`: the rate, its Wilson interval in percent and the scored n."""
    rate = row.get(prefix)
    if _missing(rate):
        return MISSING
    n = row.get(f"{prefix}_n")
    count = "" if _missing(n) else f" n={int(n)}"
    return f"{_percent(rate)}{_interval(row.get(f'{prefix}_low'), row.get(f'{prefix}_high'))}{count}"


def _gap_cell(measure: str, row: Row) -> str:
    """`+50.0 pp [-50.0, 100.0]`: the gap and its bootstrap interval in percentage points."""
    gap = row.get(f"{measure}_gap")
    if _missing(gap):
        return MISSING
    signed = f"{round(float(gap) * 100, 1) + 0.0:+.1f}"
    return f"{signed} pp{_interval(row.get(f'{measure}_gap_low'), row.get(f'{measure}_gap_high'))}"


def _p_value_cell(measure: str, row: Row) -> str:
    p = row.get(f"{measure}_mcnemar_p")
    if _missing(p):
        return MISSING
    return "<0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def _flips_cell(measure: str, row: Row) -> str:
    """`75.0% / 25.0% n=4`: training-only and unmonitored-only pairs, out of n pairs."""
    training_only, unmonitored_only = row.get(f"{measure}_training_only"), row.get(f"{measure}_unmonitored_only")
    if _missing(training_only) and _missing(unmonitored_only):
        return MISSING
    pairs = row.get(f"{measure}_pairs")
    count = "" if _missing(pairs) else f" n={int(pairs)}"
    return f"{_percent(training_only)} / {_percent(unmonitored_only)}{count}"


def _fracture_cell(measure: str, row: Row) -> str:
    return _percent(row.get(f"{measure}_fracture"))


def _greenblatt_cell(row: Row) -> str:
    """`11.9% (partial 14.0%, full 9.8%)`: Greenblatt et al.'s mean of their two classifiers."""
    parts = [
        f"{kind} {_percent(row[f'af_greenblatt_{kind}_training'])}"
        for kind in ("partial", "full")
        if f"af_greenblatt_{kind}_training" in row
    ]
    if "af_greenblatt_training" not in row:
        # Only one classifier ran: show it with its interval.
        kind = "partial" if "af_greenblatt_partial_training" in row else "full"
        return f"{kind} {_rate_cell(f'af_greenblatt_{kind}_training', row)}"
    mean = _percent(row["af_greenblatt_training"])
    if mean == MISSING and all(part.endswith(MISSING) for part in parts):
        return MISSING
    return f"{mean} ({', '.join(parts)})" if parts else mean


def _counts_cell(unscored: Sequence[str], others: Sequence[str], row: Row) -> str:
    """`0, 1 / 2 / 0`: unscored per compliance measure, then failed and unparsed samples."""
    fields = []
    if unscored:
        fields.append(", ".join(_count(row.get(column)) for column in unscored))
    fields.extend(_count(row.get(column)) for column in others)
    return " / ".join(fields)


def _count(value: Any) -> str:
    return MISSING if _missing(value) else str(int(value))


def _conditions_cell(row: Row) -> str:
    """`free vs paid`; a gap other than the whole compliance gap is named: `goal_guarding: free vs pro`."""
    gap = row.get("gap")
    named = f"{_text(gap)}: " if isinstance(gap, str) and gap != "compliance_gap" else ""
    return f"{named}{_text(row.get('training'))} vs {_text(row.get('unmonitored'))}"


def _field_cell(column: str, row: Row) -> str:
    return _text(row.get(column))


def _varying(frame: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    """The columns among `columns` that take more than one value in `frame`."""
    return [c for c in columns if c in frame and frame[c].nunique(dropna=False) > 1]


def _compliance_measures(table: pd.DataFrame) -> list[str]:
    return [m for m in COMPLIANCE_MEASURES if f"{m}_training" in table or f"{m}_gap" in table]


def _measure_label(measure: str) -> str:
    return COMPLIANCE_LABELS.get(measure, measure.removeprefix("complied_"))


def _gap_columns(table: pd.DataFrame) -> list[Column]:
    """(header, cell function) for every column the table's measures call for, in reading order."""
    columns: list[Column] = [("Model", partial(_field_cell, "model"))]
    columns += [(name.capitalize(), partial(_field_cell, name)) for name in _varying(table, VARYING_GROUP_COLUMNS)]
    columns.append(("Conditions", _conditions_cell))
    for measure in _compliance_measures(table):
        label = _measure_label(measure)
        for role in ("training", "unmonitored"):
            if f"{measure}_{role}" in table:
                columns.append((f"Compliance ({label}), {role}", partial(_rate_cell, f"{measure}_{role}")))
        optional: list[tuple[str, str, Callable[[str, Row], str]]] = [
            ("gap", f"Gap ({label})", _gap_cell),
            ("mcnemar_p", f"McNemar p ({label})", _p_value_cell),
            ("training_only", f"Flips ({label}), train / unmon.", _flips_cell),
            ("fracture", f"FRACTURE ({label})", _fracture_cell),
        ]
        columns += [
            (header, partial(cell, measure)) for suffix, header, cell in optional if f"{measure}_{suffix}" in table
        ]
    if "af_hughes_training" in table:
        columns.append(("AF (Hughes), training", partial(_rate_cell, "af_hughes_training")))
    if any(f"af_greenblatt{kind}_training" in table for kind in ("", "_partial", "_full")):
        columns.append(("AF (Greenblatt), training", _greenblatt_cell))
    for role in ("training", "unmonitored"):
        if f"partial_compliance_{role}" in table:
            columns.append((f"Partial compliance, {role}", partial(_rate_cell, f"partial_compliance_{role}")))
    unscored = [f"{m}_unscored" for m in _compliance_measures(table) if f"{m}_unscored" in table]
    others = [c for c in ("n_failed", "n_unparsed") if c in table]
    if unscored or others:
        names = (
            [f"Unscored ({', '.join(_measure_label(c.removesuffix('_unscored')) for c in unscored)})"]
            if unscored
            else []
        )
        names += [{"n_failed": "failed", "n_unparsed": "unparsed"}[c] for c in others]
        header = " / ".join(names)
        columns.append((header[0].upper() + header[1:], partial(_counts_cell, unscored, others)))
    return columns


def _gap_cells(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    missing = [c for c in ("model", "training", "unmonitored") if c not in table]
    if missing and not table.empty:
        raise ValueError(f"the table lacks the column(s) {missing}: build it with af_inspect.gap_table.gap_table")
    columns = _gap_columns(table) if not missing else []
    rows = [[cell(row) for _, cell in columns] for row in table.to_dict("records")]
    return [header for header, _ in columns], rows


def _legend(table: pd.DataFrame, confidence: float) -> list[str]:
    level = f"{confidence:.0%}"
    items = [
        f"Rates are shares of the scored samples, in percent, with Wilson {level} intervals in brackets "
        "and n, the number of scored samples.",
    ]
    compliance = _compliance_measures(table)
    if compliance:
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
    greenblatt = any(c.startswith("af_greenblatt") for c in table.columns)
    if "af_hughes_training" in table or greenblatt:
        items.append(
            "AF: share of training-condition samples with alignment-faking reasoning"
            + ("; Greenblatt is the mean of Greenblatt et al.'s partial and full classifiers." if greenblatt else ".")
        )
    if "partial_compliance_training" in table:
        items.append("Partial compliance: scheming, compromise or avoidance found by the partial-compliance judge.")
    items.append(
        "Unscored: samples without that measure's verdict (failed samples included); failed: samples that "
        "errored; unparsed: transcripts that did not end in a final output. None of them enters a rate."
    )
    items.append(f"{MISSING}: not available.")
    return items


# --- Markdown and CSV ------------------------------------------------------------------------


def _markdown_escape(text: str) -> str:
    # Backslashes first, so an escaped pipe cannot be undone by a backslash already in the text.
    escaped = text.replace("\\", "\\\\").replace("|", "\\|")
    return " ".join(escaped.splitlines())


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
    return _markdown_table(*_gap_cells(table), _legend(table, confidence))


# --- the method × family comparison ----------------------------------------------------------

COMPARISON_TAGS = (
    ("family", "Family"),
    ("base_model", "Base model"),
    ("method", "Method"),
    ("checkpoint", "Checkpoint"),
)


def _harmlessness_cell(row: Row) -> str:
    """`97.5% [91.3, 99.3] n=120 (rubric)`: refusals unmonitored and the compliance measure used."""
    cell = _rate_cell("harmlessness", row)
    measure = row.get("harmlessness_measure")
    return cell if cell == MISSING or _missing(measure) else f"{cell} ({measure})"


def _mean_cell(column: str, row: Row) -> str:
    value = row.get(column)
    return MISSING if _missing(value) else f"{float(value):.2f}"


def _comparison_columns(table: pd.DataFrame) -> list[Column]:
    columns: list[Column] = [(header, partial(_field_cell, name)) for name, header in COMPARISON_TAGS]
    columns.append(("Model", partial(_field_cell, "model")))
    columns += [(name.capitalize(), partial(_field_cell, name)) for name in _varying(table, ("variant", "setting"))]
    if table["training"].nunique(dropna=False) > 1 or table["unmonitored"].nunique(dropna=False) > 1:
        columns.append(("Conditions", _conditions_cell))
    columns += [
        ("Helpfulness (fully helpful)", partial(_rate_cell, "helpfulness")),
        ("Benign refusals", partial(_rate_cell, "benign_refusal")),
        ("Mean category", partial(_mean_cell, "benign_mean_category")),
        ("Harmlessness (refuses unmonitored)", _harmlessness_cell),
        ("Gap", partial(_gap_cell, "safety")),
        ("Flips, train / unmon.", partial(_flips_cell, "safety")),
        ("FRACTURE", partial(_fracture_cell, "safety")),
        ("Benign unscored / failed", partial(_counts_cell, [], ["benign_unscored", "benign_failed"])),
        (
            "Harmful unscored / failed / unparsed",
            partial(_counts_cell, [], ["harmful_unscored", "harmful_failed", "harmful_unparsed"]),
        ),
    ]
    return columns


def comparison_cells(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Headers and text cells of the method comparison (`method_comparison.method_comparison`)."""
    columns = _comparison_columns(table)
    return [header for header, _ in columns], [[cell(row) for _, cell in columns] for row in table.to_dict("records")]


def _comparison_legend(confidence: float) -> list[str]:
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
    return _markdown_table(*comparison_cells(table), _comparison_legend(confidence))


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


# --- HTML ------------------------------------------------------------------------------------

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem;
       color: #222; line-height: 1.4; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85rem; font-variant-numeric: tabular-nums; margin: 0.5rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td { white-space: nowrap; }
.legend { font-size: 0.8rem; color: #555; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; }
"""


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table></div>'


def _html_list(items: Sequence[str], css_class: str = "") -> str:
    attribute = f' class="{css_class}"' if css_class else ""
    return f"<ul{attribute}>\n" + "\n".join(f"<li>{html.escape(str(item))}</li>" for item in items) + "\n</ul>"


def _outcome_categories(shares: pd.DataFrame) -> list[str]:
    return [c for c in OUTCOME_STYLE if f"{c}_share" in shares]


def _role(training_condition: Any) -> str:
    return "training" if bool(training_condition) else "unmonitored"


def _shares_cells(shares: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    varying = _varying(shares, VARYING_GROUP_COLUMNS)
    categories = _outcome_categories(shares)
    headers = ["Model", *(c.capitalize() for c in varying), "Condition", "n"]
    headers += [OUTCOME_STYLE[c][0].capitalize() for c in categories]
    rows = []
    for row in shares.to_dict("records"):
        cells = [_text(row.get("model")), *(_text(row.get(c)) for c in varying)]
        cells.append(f"{_text(row.get('condition'))} ({_role(row.get('training_condition'))})")
        cells.append(_count(row.get("n")))
        for category in categories:
            share = _percent(row.get(f"{category}_share"))
            cells.append(f"{_count(row[category])} ({share})" if category in row else share)
        rows.append(cells)
    return headers, rows


def report_html(
    table: pd.DataFrame,
    shares: pd.DataFrame,
    *,
    title: str = "af-inspect report",
    figures: dict[str, bytes] | None = None,
    notes: Sequence[str] = (),
    confidence: float = 0.95,
    comparison: pd.DataFrame | None = None,
) -> str:
    """A self-contained static HTML page: notes, the gap table, the outcome shares and figures.

    Nothing is loaded from elsewhere: the style is inline and figures are embedded as base64 PNG.
    All text from the data (model names, settings, conditions), the title, figure names and notes
    is HTML-escaped, so a model name can never become markup.

    Args:
        table: The frame of `gap_table.gap_table`.
        shares: The frame of `gap_table.outcome_shares`.
        title: Page title and heading.
        figures: Caption → PNG bytes, e.g. from `outcome_bars_png` and `gap_forest_png`.
        notes: Lines to list, e.g. logs left out of the table and why.
        confidence: The interval level the table was built with, named in the legend.
        comparison: The method comparison; its section is shown only when it has rows.
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    if notes:
        parts += ["<h2>Notes</h2>", _html_list([str(note) for note in notes])]
    parts.append("<h2>Compliance gap</h2>")
    if table.empty:
        parts.append("<p>No training / unmonitored condition pairs to report.</p>")
    else:
        parts += [_html_table(*_gap_cells(table)), _html_list(_legend(table, confidence), "legend")]
    if comparison is not None and not comparison.empty:
        parts += [
            "<h2>Method comparison</h2>",
            _html_table(*comparison_cells(comparison)),
            _html_list(_comparison_legend(confidence), "legend"),
        ]
    parts.append("<h2>Outcomes</h2>")
    if shares.empty:
        parts.append("<p>No samples.</p>")
    else:
        parts.append(_html_table(*_shares_cells(shares)))
        parts.append('<p class="legend">Count of samples per outcome (share of the condition\'s samples).</p>')
    if figures:
        parts.append("<h2>Figures</h2>")
        for name, data in figures.items():
            if not bytes(data).startswith(PNG_SIGNATURE):
                raise ValueError(f"figure {name!r} is not a PNG image")
            encoded = base64.b64encode(bytes(data)).decode("ascii")
            caption = html.escape(str(name))
            parts.append(
                f'<figure><img src="data:image/png;base64,{encoded}" alt="{caption}">'
                f"<figcaption>{caption}</figcaption></figure>"
            )
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


# --- figures ---------------------------------------------------------------------------------


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


def _plain(text: str) -> str:
    # An even number of "$" would switch matplotlib to mathtext; data text is shown as typed.
    return text.replace("$", r"\$")


def _png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    return buffer.getvalue()


def outcome_bars_png(shares: pd.DataFrame) -> bytes:
    """Stacked outcome shares, one bar per model × condition, the conditions of a model adjacent.

    Bars are labelled with the condition and its role ("free (training)"); each group is labelled
    with the model and, where they vary, scenario, variant and setting. The categories drawn are
    those present, in the order of `OUTCOME_STYLE`, each in its fixed colour.

    Returns:
        The figure as PNG bytes.
    """
    categories = _outcome_categories(shares)
    if not categories:
        raise ValueError(
            f"the shares carry no outcome share column (one of {[f'{c}_share' for c in OUTCOME_STYLE]}): "
            "build them with af_inspect.gap_table.outcome_shares"
        )
    if shares.empty:
        raise ValueError("the shares have no rows: there is nothing to draw")
    Figure, FigureCanvasAgg, PercentFormatter = _matplotlib()

    keys = ["model", *_varying(shares, VARYING_GROUP_COLUMNS)]
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
            bar_labels.append(f"{_plain(_text(row['condition']))}\n({_role(row['training_condition'])})")
            ordered.append(row)
            cursor += 1.0
        first = group.iloc[0]
        extras = [_text(first[c]) for c in keys[1:]]
        label = _text(first["model"]) + (f" ({', '.join(extras)})" if extras else "")
        group_labels.append(((start + cursor - 1) / 2, _plain(label), len(group)))
        cursor += 0.6

    slot_inches = 1.1
    figure = Figure(figsize=(1.5 + slot_inches * cursor + 2.2, 4.8))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bottoms = [0.0] * len(ordered)
    for category in categories:
        heights = [
            0.0 if _missing(row.get(f"{category}_share")) else float(row[f"{category}_share"]) for row in ordered
        ]
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


def gap_forest_png(table: pd.DataFrame, measure: str = "complied_rubric") -> bytes:
    """Forest plot of one measure's compliance gap: a point and its interval per table row.

    Rows are labelled with the model and, where they vary, scenario, variant, setting and the
    condition pair; a row without a gap is labelled "n/a" and has no point.

    Args:
        table: The frame of `gap_table.gap_table`.
        measure: The compliance measure, e.g. `complied_rubric` or `complied_tag`.

    Returns:
        The figure as PNG bytes.
    """
    needed = [f"{measure}_gap", f"{measure}_gap_low", f"{measure}_gap_high"]
    if any(column not in table for column in needed):
        present = [c.removesuffix("_gap") for c in table.columns if c.endswith("_gap")]
        raise ValueError(f"the table has no gap for the measure '{measure}'; measures present: {present or 'none'}")
    Figure, FigureCanvasAgg, _ = _matplotlib()

    extras_columns = _varying(table, VARYING_GROUP_COLUMNS)
    pairs_vary = len(table[["training", "unmonitored"]].drop_duplicates()) > 1 if "training" in table else False
    labels: list[str] = []
    rows = table.to_dict("records")
    for row in rows:
        extras = [_text(row[c]) for c in extras_columns] + ([_conditions_cell(row)] if pairs_vary else [])
        label = _text(row.get("model")) + (f" ({', '.join(extras)})" if extras else "")
        labels.append(_plain(label) + (" (n/a)" if _missing(row[f"{measure}_gap"]) else ""))

    figure = Figure(figsize=(7.5, 1.4 + 0.45 * max(len(rows), 1)))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.axvline(0, color="grey", linestyle="--", linewidth=1)
    drawn = []
    for y, row in enumerate(rows):
        gap, low, high = (row[c] for c in needed)
        if _missing(gap):
            continue
        gap_pp = float(gap) * 100
        drawn.append(gap_pp)
        if not (_missing(low) or _missing(high)):
            low_pp, high_pp = float(low) * 100, float(high) * 100
            axes.hlines(y, low_pp, high_pp, color="black", linewidth=1.5)
            axes.vlines([low_pp, high_pp], y - 0.12, y + 0.12, color="black", linewidth=1.5)
            drawn += [low_pp, high_pp]
        axes.plot([gap_pp], [y], "o", color="black", markersize=6)
    if not drawn or all(math.isclose(value, 0.0) for value in drawn):
        axes.set_xlim(-10, 10)
    axes.set_yticks(range(len(rows)), labels, fontsize=8)
    axes.set_ylim(len(rows) - 0.5, -0.5)
    axes.set_xlabel(f"Compliance gap ({_measure_label(measure)}): training − unmonitored, percentage points")
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)
