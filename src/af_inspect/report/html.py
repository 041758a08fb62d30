"""The report as one self-contained static HTML page: notes, the gap table, the comparison, outcomes, figures.

Nothing is loaded from elsewhere: the style is inline and figures are embedded as base64 PNG. All
text from the data (model names, settings, conditions), the title, figure names and notes is
HTML-escaped, so a model name can never become markup. The tables are the sections of `tables.py`,
a handful of columns each; cells wrap between words (never inside an interval), so at 1,280 px no
table scrolls sideways.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence

import pandas as pd

from af_inspect.report.cells import LINE
from af_inspect.report.tables import Section, comparison_cells, comparison_legend, gap_sections, outcome_section

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem;
       color: #222; line-height: 1.4; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.8rem; font-variant-numeric: tabular-nums; margin: 0.5rem 0; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.4rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td:first-child { overflow-wrap: anywhere; min-width: 12rem; }
.line + .line { margin-top: 0.15rem; padding-top: 0.15rem; border-top: 1px dotted #bbb; }
td:first-child .line + .line { margin: 0; padding: 0; border: 0; color: #555; }
code { font-size: 0.95em; }
.legend { font-size: 0.8rem; color: #555; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; }
"""

_UNBROKEN = re.compile(r"\[[^\]]*\]|\d+ \([\d.]+%\)")
"""An interval `[30.1, 95.4]` or a count with its share `2 (25.0%)`: never wrapped inside."""


def _cell(text: str) -> str:
    """A cell's text escaped, an interval kept on one line, each of its lines a block of its own."""
    escaped = html.escape(text)
    escaped = _UNBROKEN.sub(lambda found: found.group(0).replace(" ", "&nbsp;"), escaped)
    lines = escaped.split(LINE)
    return lines[0] if len(lines) == 1 else "".join(f'<div class="line">{line}</div>' for line in lines)


def _html_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f"<td>{_cell(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<div class="scroll"><table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table></div>'


_CODE_SPAN = re.compile(r"`([^`]+)`")


def _html_list(items: Sequence[str], css_class: str = "") -> str:
    """A list of escaped items; a `code span` (our legends name tags so) is set as code."""
    attribute = f' class="{css_class}"' if css_class else ""
    shown = (_CODE_SPAN.sub(r"<code>\1</code>", html.escape(str(item))) for item in items)
    return f"<ul{attribute}>\n" + "\n".join(f"<li>{item}</li>" for item in shown) + "\n</ul>"


def _html_section(section: Section, heading: str = "h3") -> list[str]:
    return [
        f"<{heading}>{html.escape(section.title)}</{heading}>",
        _html_table(section.headers, section.rows),
        _html_list(section.legend, "legend"),
    ]


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
    figure_notes: Sequence[str] = (),
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
        figure_notes: Lines saying which figures were left out and why.
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
        for section in gap_sections(table, confidence):
            parts += _html_section(section)
    if comparison is not None and not comparison.empty:
        headers, rows = comparison_cells(comparison)
        parts += _html_section(Section("Method comparison", headers, rows, comparison_legend(confidence)), "h2")
    if shares.empty:
        parts += ["<h2>Outcomes</h2>", "<p>No samples.</p>"]
    else:
        parts += _html_section(outcome_section(shares), "h2")
    if figures or figure_notes:
        parts.append("<h2>Figures</h2>")
        parts += [f'<p class="legend">{html.escape(str(line))}</p>' for line in figure_notes]
        parts += [_figure(name, data) for name, data in (figures or {}).items()]
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"
