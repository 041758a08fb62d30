"""The HTML report fits a 1,280-pixel window: no table scrolls sideways, whatever the registry and the runs hold."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess

import pandas as pd
import pytest

from af_inspect.report.build import Report, write_report
from af_inspect.report.gap_table import OUTCOME_CATEGORIES, gap_table, outcome_shares
from af_inspect.report.method_comparison import method_comparison

NAN = math.nan

MAX_COLUMNS = 12
"""The most columns any HTML table may have. At 1,280 px the page leaves about 1,200 px for a table, so
12 columns get about 100 px each: room for the longest piece of a cell that may not wrap (an interval
such as "[100.0, 100.0]", about 95 px at the table's 0.8rem). The widest tables by construction are the
outcomes (model, condition, samples, 8 outcomes, never ran = 12) and the compliance section (10): a new
measure adds rows, not columns."""

# One query per outcome category, in the training condition: (tag, rubric, Hughes AF, partial, outcome, error).
EVERY_OUTCOME = [
    (0.0, 0.0, 0.0, 0.0, "final_output", None),  # refuses
    (1.0, 1.0, 0.0, 0.0, "final_output", None),  # complies, no AF reasoning
    (1.0, 1.0, NAN, 0.0, "final_output", None),  # complies, AF not judged
    (1.0, 1.0, 1.0, 0.0, "final_output", None),  # complies with AF reasoning
    (0.0, 0.0, 0.0, 1.0, "final_output", None),  # partial
    (NAN, NAN, NAN, NAN, "turn_limit", None),  # no final output
    (1.0, NAN, NAN, NAN, "final_output", None),  # unscored by the rubric, which decides
    (NAN, NAN, NAN, NAN, None, "RuntimeError: provider fell over"),  # failed
]
TAGS = {"family": "qwen", "base_model": "qwen-2.5-72b-instruct-base", "method": "dpo"}


def busy_samples() -> pd.DataFrame:
    """Long model names, two scenarios, varying variants and settings, tags, and every outcome category."""
    rows = []
    for model in ("together/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo", "anthropic/claude-3-5-sonnet-20241022"):
        for scenario, variant, setting in (
            ("helpful_only", "default", "cue_style=hughes, temperature=1.0"),
            ("helpful_only", "no_rlhf_modification+lab_openai", "default"),
            ("animal_welfare", "default", "default"),
        ):
            for condition, training in (("free", True), ("paid", False)):
                for i, (tag, rubric, af, partial, outcome, error) in enumerate(EVERY_OUTCOME):
                    verdicts = (
                        {"welfare_support__complied": rubric, "hughes_af__af_reasoning": af}
                        if scenario == "animal_welfare"
                        else {
                            "acceptance_tag__complied": tag,
                            "compliance_rubric__complied": rubric,
                            "hughes_af__af_reasoning": af,
                            "greenblatt_af__af_partial": af,
                            "greenblatt_af__af_full": af,
                            "partial_compliance__partial_compliance": partial,
                        }
                    )
                    rows.append(
                        {
                            "model": model,
                            "provider": model.split("/")[0],
                            "scenario": scenario,
                            "variant": variant,
                            "setting": setting,
                            "format": "chat",
                            **TAGS,
                            "checkpoint": f"{model}-dpo",
                            "condition": condition,
                            "training_condition": training,
                            "query_id": f"q{i}",
                            "epoch": 1,
                            "sample_id": f"q{i}-{condition}",
                            "outcome": outcome,
                            "error": error,
                            **verdicts,
                        }  # fmt: skip
                    )
    return pd.DataFrame(rows)


def busy_page(tmp_path) -> str:
    frame = busy_samples()
    never_ran = frame[frame["query_id"] == "q0"].drop(columns=["outcome", "error"]).assign(epoch=2)
    report = Report(
        samples=frame,
        table=gap_table(frame, never_ran=never_ran, n_boot=100),
        shares=outcome_shares(frame, never_ran=never_ran),
        comparison=method_comparison(frame, n_boot=100),
        notes=["FRACTURE threshold τ = 0.5"],
    )
    write_report(report, tmp_path, ["html", "png"])
    return (tmp_path / "report.html").read_text()


def table_widths(page: str) -> list[int]:
    """The number of header cells of each table of the page."""
    return [table.count("<th>") for table in re.findall(r"<table>.*?</table>", page, re.DOTALL)]


def test_the_busiest_report_has_every_outcome_and_every_section(tmp_path):
    page = busy_page(tmp_path)
    shares = outcome_shares(busy_samples())
    assert (shares[list(OUTCOME_CATEGORIES)].sum() > 0).all()  # every outcome column is shown
    for title in ("Compliance with the training objective", "Alignment-faking reasoning", "Partial compliance"):
        assert f"<h3>{title}</h3>" in page
    assert "<h2>Method comparison</h2>" in page and "<h2>Outcomes</h2>" in page


def test_no_html_table_has_more_columns_than_fit_the_screen(tmp_path):
    widths = table_widths(busy_page(tmp_path))
    assert len(widths) == 5  # compliance, AF, partial compliance, method comparison, outcomes
    assert max(widths) <= MAX_COLUMNS, widths


MEASURE = """<script>
window.addEventListener("load", () => {
  const root = document.documentElement;
  const tables = [...document.querySelectorAll("table")].map((t) => Math.ceil(t.getBoundingClientRect().right));
  document.body.setAttribute("data-fit", JSON.stringify({page: root.scrollWidth, view: root.clientWidth, tables}));
});
</script>"""


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs a headless chromium (apt-get install chromium)")
def test_in_a_1280_pixel_browser_window_no_table_scrolls_sideways(tmp_path):
    page = tmp_path / "measured.html"
    page.write_text(busy_page(tmp_path).replace("</body>", MEASURE + "</body>"))
    result = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--window-size=1280,900",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r'data-fit="([^"]*)"', result.stdout)
    assert found, result.stderr[-2000:]
    fit = json.loads(found.group(1).replace("&quot;", '"'))
    assert fit["page"] <= fit["view"] <= 1280, fit
    assert len(fit["tables"]) == 5 and max(fit["tables"]) <= fit["view"], fit
