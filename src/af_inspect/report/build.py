"""`af-inspect report LOGDIR`: logs → tidy samples → gap table → Markdown, CSV, HTML and figures.

This module only orchestrates: reading is `tidy`, the statistics `gap_table` and `paired_stats`,
the formats `tables`, `html` and `figures`, all driven by the Measure registry (`measures`).
Everything kept out of the table (unsuccessful, unreadable and superseded logs) is listed in the
report's notes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from af_inspect.report.cells import outcome_categories
from af_inspect.report.figures import gap_forest_png, outcome_bars_png
from af_inspect.report.gap_table import DEFAULT_TAU, gap_table, outcome_shares
from af_inspect.report.html import report_html
from af_inspect.report.measures import paired_measures
from af_inspect.report.method_comparison import is_tagged, method_comparison, unknown_methods
from af_inspect.report.run_tags import METHODS
from af_inspect.report.tables import comparison_markdown, gap_markdown, markdown_text, write_csv
from af_inspect.report.tidy import TidyLogs, tidy_samples
from af_inspect.scenario.registry import BENIGN_HELPFULNESS

FORMATS = ("md", "csv", "html", "png")


@dataclass
class Report:
    """The tables of one report and what was left out of them."""

    samples: pd.DataFrame
    table: pd.DataFrame
    shares: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    comparison: pd.DataFrame = field(default_factory=pd.DataFrame)
    never_ran: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Samples of stopped runs that never ran (`TidyLogs.never_ran`), counted in the tables."""
    figure_notes: list[str] = field(default_factory=list)
    """Figures left out by `write_report`, and why."""
    """The method × family comparison (`method_comparison`); empty when no log carries run tags."""
    written: list[Path] = field(default_factory=list)


def build_report(
    logs: str | Path | Iterable[str | Path],
    *,
    tau: float = DEFAULT_TAU,
    n_boot: int = 2000,
    seed: int = 0,
    include_unsuccessful: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Read logs and compute the gap table, the outcome shares and, for tagged runs, the method comparison."""
    tidy = tidy_samples(logs, include_unsuccessful=include_unsuccessful, progress=progress)
    if tidy.samples.empty:
        raise ValueError(f"no samples to report: {_left_out_summary(tidy) or 'no logs found'}")
    # The helpfulness axis has one condition and no compliance verdict: it belongs to the comparison only.
    paired = tidy.samples[tidy.samples["scenario"] != BENIGN_HELPFULNESS]
    never_ran = tidy.never_ran[tidy.never_ran["scenario"] != BENIGN_HELPFULNESS] if not tidy.never_ran.empty else None
    tagged = is_tagged(tidy.samples)
    return Report(
        samples=tidy.samples,
        table=gap_table(paired, never_ran=never_ran, tau=tau, n_boot=n_boot, seed=seed)
        if not paired.empty
        else pd.DataFrame(),
        shares=outcome_shares(paired, never_ran=never_ran) if not paired.empty else pd.DataFrame(),
        notes=_notes(tidy, include_unsuccessful, tau) + _comparison_notes(tidy.samples, tagged),
        comparison=method_comparison(tidy.samples, tau=tau, n_boot=n_boot, seed=seed)
        if tagged.any()
        else pd.DataFrame(),
        never_ran=tidy.never_ran,
    )


def report_folder(out: str | Path) -> Path:
    """`out` as the report's folder, or a ValueError in one line if it is an existing file."""
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--out {str(out)!r} is an existing file, not a folder: give a folder for the report files")
    return folder


def write_report(report: Report, out: str | Path, formats: Collection[str] = FORMATS) -> list[Path]:
    """Write the chosen formats into `out`: gap_table.md, gap_table.csv, report.html, *.png.

    With tagged runs, also method_comparison.md and method_comparison.csv, and a section of report.html.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format(s) {unknown}; choose from: {', '.join(FORMATS)}")
    folder = report_folder(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"cannot make the report folder {str(folder)!r}: {error.strerror or error}") from None
    written: list[Path] = []
    figures: dict[str, tuple[str, bytes]] = {}
    if "png" in formats or "html" in formats:
        figures, report.figure_notes = _figures(report)
    if "md" in formats:
        notes = "".join(f"- {markdown_text(note)}\n" for note in report.notes)
        text = gap_markdown(report.table, shares=report.shares) + (f"\n## Notes\n\n{notes}" if notes else "")
        written.append(_write(folder / "gap_table.md", text))
        if not report.comparison.empty:
            written.append(_write(folder / "method_comparison.md", comparison_markdown(report.comparison)))
    if "csv" in formats:
        written.append(write_csv(report.table, folder / "gap_table.csv"))
        written.append(write_csv(report.shares, folder / "outcome_shares.csv"))
        if not report.comparison.empty:
            written.append(write_csv(report.comparison, folder / "method_comparison.csv"))
    if "png" in formats:
        for name, (_, image) in figures.items():
            path = folder / f"{name}.png"
            path.write_bytes(image)
            written.append(path)
    if "html" in formats:
        page = report_html(
            report.table,
            report.shares,
            figures=dict(figures.values()),
            figure_notes=report.figure_notes,
            notes=report.notes,
            comparison=report.comparison,
        )
        written.append(_write(folder / "report.html", page))
    report.written = written
    return written


def _figures(report: Report) -> tuple[dict[str, tuple[str, bytes]], list[str]]:
    """File stem → (caption, PNG) of every figure with something to draw, and a line for each left out."""
    if report.shares.empty:  # only helpfulness-axis logs: nothing paired to draw
        return {}, []
    figures: dict[str, tuple[str, bytes]] = {}
    left_out = []
    if outcome_categories(report.shares):
        figures["outcomes"] = ("Outcomes per model and condition", outcome_bars_png(report.shares))
    else:
        left_out.append("Outcomes: not drawn, no sample ran.")
    for measure in paired_measures():
        column = f"{measure.name}_gap"
        if column not in report.table:
            continue
        caption = f"{measure.heading}: gap, training − unmonitored"
        if report.table[column].notna().any():
            figures[f"gap_{measure.name}"] = (caption, gap_forest_png(report.table, measure.name))
        else:
            left_out.append(f"{caption}: not drawn, no row has one (no query was scored in both conditions).")
    return figures, left_out


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _notes(tidy: TidyLogs, include_unsuccessful: bool, tau: float) -> list[str]:
    notes = [f"FRACTURE threshold τ = {tau:g}"]
    action = "included" if include_unsuccessful else "not included"
    missing = tidy.never_ran["log"].value_counts() if not tidy.never_ran.empty else pd.Series(dtype=int)
    notes += [
        f"log {log} ended with status '{status}': {action}"
        + (f", {missing[log]} of its samples never ran (counted under Outcomes)" if log in missing else "")
        for log, status in tidy.not_successful
    ]
    notes += [f"log {log} could not be read ({problem}): skipped" for log, problem in tidy.unreadable]
    notes += [f"log {old} was superseded by the later run {new}" for old, new in tidy.superseded]
    return notes


def _comparison_notes(samples: pd.DataFrame, tagged: pd.Series) -> list[str]:
    """Say which logs the method comparison leaves out, and any method tag outside the known ones."""
    if not tagged.any():
        return []
    untagged = sorted(samples.loc[~tagged, "log"].unique())
    notes = [
        f"log {log} carries no run tags (family, base_model, method, checkpoint): not in the method comparison"
        for log in untagged
    ]
    notes += [
        f"method tag '{method}' is not one of {', '.join(METHODS)}: shown as given"
        for method in unknown_methods(samples)
    ]
    return notes


def _left_out_summary(tidy: TidyLogs) -> str:
    parts = []
    if tidy.not_successful:
        parts.append(f"{len(tidy.not_successful)} log(s) did not succeed")
    if tidy.unreadable:
        parts.append(f"{len(tidy.unreadable)} could not be read")
    return ", ".join(parts)
