"""The report as one self-contained static HTML page: notes, the gap table, the comparison, outcomes, figures.

Nothing is loaded from elsewhere: the style is inline and figures are embedded as base64 PNG. All
text from the data (model names, settings, conditions), the title, figure names and notes is
HTML-escaped, so a model name can never become markup.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

import pandas as pd

from af_inspect.report.cells import (
    OUTCOME_STYLE,
    VARYING_GROUP_COLUMNS,
    count,
    outcome_categories,
    percent,
    role,
    text,
    varying,
)
from af_inspect.report.tables import comparison_cells, comparison_legend, gap_cells, gap_legend

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

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


def _shares_cells(shares: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    shown = varying(shares, VARYING_GROUP_COLUMNS)
    categories = outcome_categories(shares)
    headers = ["Model", *(c.capitalize() for c in shown), "Condition", "n"]
    headers += [OUTCOME_STYLE[c][0].capitalize() for c in categories]
    rows = []
    for row in shares.to_dict("records"):
        cells = [text(row.get("model")), *(text(row.get(c)) for c in shown)]
        cells.append(f"{text(row.get('condition'))} ({role(row.get('training_condition'))})")
        cells.append(count(row.get("n")))
        for category in categories:
            share = percent(row.get(f"{category}_share"))
            cells.append(f"{count(row[category])} ({share})" if category in row else share)
        rows.append(cells)
    return headers, rows


def _figure(name: str, data: bytes) -> str:
    if not bytes(data).startswith(PNG_SIGNATURE):
        raise ValueError(f"figure {name!r} is not a PNG image")
    encoded = base64.b64encode(bytes(data)).decode("ascii")
    caption = html.escape(str(name))
    image = f'<img src="data:image/png;base64,{encoded}" alt="{caption}">'
    return f"<figure>{image}<figcaption>{caption}</figcaption></figure>"


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

    Args:
        table: The frame of `gap_table.gap_table`.
        shares: The frame of `gap_table.outcome_shares`.
        title: Page title and heading.
        figures: Caption → PNG bytes, e.g. from `figures.outcome_bars_png` and `figures.gap_forest_png`.
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
        parts += [_html_table(*gap_cells(table)), _html_list(gap_legend(table, confidence), "legend")]
    if comparison is not None and not comparison.empty:
        parts += [
            "<h2>Method comparison</h2>",
            _html_table(*comparison_cells(comparison)),
            _html_list(comparison_legend(confidence), "legend"),
        ]
    parts.append("<h2>Outcomes</h2>")
    if shares.empty:
        parts.append("<p>No samples.</p>")
    else:
        parts.append(_html_table(*_shares_cells(shares)))
        parts.append('<p class="legend">Count of samples per outcome (share of the condition\'s samples).</p>')
    if figures:
        parts.append("<h2>Figures</h2>")
        parts += [_figure(name, data) for name, data in figures.items()]
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
