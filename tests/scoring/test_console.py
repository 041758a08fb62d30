"""What a person sees on the console: a real `inspect eval` run at 80 columns, read as printed.

The run is the first one a new user makes: the stand-in organism served on 127.0.0.1, six queries,
and no grader key. Its results must fit in 40 lines, every number labelled in the field's words,
nothing cut short (`…`) and no package prefix; a missing grader is said once, at the start.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from inspect_ai.log import list_eval_logs, read_eval_log
from inspect_ai.scorer import SampleScore, Score

# Inspect's own record of what a scorer prints; not re-exported.
from inspect_ai._util.registry import registry_info  # isort: skip

from af_inspect.offline.organism import OrganismRates
from af_inspect.offline.scripted_grader import combined_responder
from af_inspect.offline.server import LocalOpenAIServer
from af_inspect.scenario.registry import SCENARIOS
from af_inspect.scoring.judges import JUDGES
from af_inspect.scoring.metrics import headline_rates, scored_counts
from af_inspect.scoring.selection import console_judges, judge_scorers

ROOT = Path(__file__).resolve().parents[2]
WIDTH = 80
NOTICE = "no grader, so the judges are skipped"


def console_run(tmp_path: Path, *options: str) -> tuple[str, list[str]]:
    """Run the helpful-only task at 80 columns against the stand-in organism with no provider key.

    Returns everything printed (stdout and stderr) and the results: the lines from the first
    block's heading up to the log's path. The display is `rich` unless `options` choose one.
    """
    display = [] if "--display" in options else ["--display", "rich"]
    with LocalOpenAIServer(combined_responder(OrganismRates())) as server:
        result = subprocess.run(
            [sys.executable, "-m", "inspect_ai", "eval", "tasks/af_helpful_only.py"]
            + ["--model", "openai-api/local/organism", "-T", "limit=6", "--log-dir", str(tmp_path)]
            + [*display, *options],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            env={k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
            | {"COLUMNS": str(WIDTH), "LOCAL_BASE_URL": server.base_url, "LOCAL_API_KEY": "local"},
        )
    printed = result.stdout + result.stderr
    assert result.returncode == 0, printed[-3000:]
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("acceptance_tag"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Log:"))
    return printed, [line.rstrip() for line in lines[start:end] if line.strip()]


def screen_lines(text: str) -> int:
    """How many lines `text` takes on an 80-column terminal, long lines wrapped."""
    return sum(max(1, -(-len(line) // WIDTH)) for line in text.splitlines())


def test_a_first_run_without_a_grader_prints_labelled_results_in_40_lines_and_one_notice(tmp_path):
    printed, results = console_run(tmp_path)
    assert screen_lines(printed) <= 40, printed
    assert printed.count(NOTICE) == 1
    notice = " ".join(printed[printed.index("af-inspect: " + NOTICE) :].split())
    assert "'openai/gpt-4o'" in notice and "--model-role grader=<provider/model>" in notice
    assert "-T grader=<provider/model>" in notice
    # One block, the acceptance tag's, and no empty judge block.
    assert results[0].split() == ["acceptance_tag"]
    text = "\n".join(results)
    for label in ("compliance free", "compliance paid", "gap", "free, of all", "paid, of all", "unscored free"):
        assert label in text
    assert "…" not in text and "af_inspect/" not in text and "nan" not in text
    assert all(len(line) <= WIDTH for line in results)
    log = read_eval_log(list_eval_logs(str(tmp_path))[0].name)
    assert log.eval.metadata["judges"] == []
    skipped = log.eval.metadata["judges_skipped"]
    assert skipped["judges"] == list(SCENARIOS["helpful_only"].judges)
    assert "openai/gpt-4o" in skipped["reason"] and "OPENAI_API_KEY" in skipped["reason"]


def test_a_run_with_a_grader_prints_three_whole_blocks_and_no_notice(tmp_path):
    printed, results = console_run(tmp_path, "--model-role", "grader=openai-api/local/judge")
    assert NOTICE not in printed
    assert screen_lines(printed) <= 40, printed
    assert results[0].split() == ["acceptance_tag", "compliance_rubric", "hughes_af"]
    text = "\n".join(results)
    assert "…" not in text and "af_inspect/" not in text
    assert all(len(line) <= WIDTH for line in results)
    assert "AF reasoning free" in text and "AF reasoning paid" in text
    assert sum(line.split().count("gap") for line in results) == 2  # the tag's gap and the rubric's
    log = read_eval_log(list_eval_logs(str(tmp_path))[0].name)
    assert log.eval.metadata["judges"] == list(SCENARIOS["helpful_only"].judges)
    assert "judges_skipped" not in log.eval.metadata


def test_samples_without_a_final_output_are_counted_by_why_per_condition(tmp_path):
    printed, results = console_run(tmp_path, "-T", "max_tokens=60", "--display", "plain")
    text = "\n".join(results)
    failures = [line.split() for line in results if ": " in line]
    assert failures and all(words[1] == "truncated" for words in failures), text
    unscored = {words[1]: float(words[2]) for words in map(str.split, results) if words[0] == "unscored"}
    assert sum(float(words[2]) for words in failures) == sum(unscored.values()) > 0
    assert "…" not in text and screen_lines(printed) <= 40


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_no_scenario_prints_more_blocks_than_fit_80_columns(scenario):
    setting = SCENARIOS[scenario]
    assert int(setting.acceptance_tag) + len(console_judges(setting.judges)) <= 3


def test_a_run_of_judges_that_are_not_headlines_prints_the_first_of_them():
    assert console_judges(("helpfulness",)) == ("helpfulness",)
    assert console_judges(("greenblatt_af", "partial_compliance")) == ("greenblatt_af",)
    assert console_judges(("helpfulness", "hughes_af", "compliance_rubric")) == ("hughes_af", "compliance_rubric")
    assert all(JUDGES[name].console for name in JUDGES)


def printed_lines(selected: tuple[str, ...], acceptance_tag: bool) -> dict[str, list[str]]:
    """Each scorer of a run, by name, with the metrics it prints (none: an empty list)."""
    chosen = judge_scorers(selected, reasoning="scratchpad", grader=None, acceptance_tag=acceptance_tag)
    return {
        registry_info(scorer).name.split("/")[-1]: [
            registry_info(metric).name.split("/")[-1] for metric in registry_info(scorer).metadata["metrics"]
        ]
        for scorer in chosen
    }


def test_the_first_block_of_a_run_says_why_samples_had_no_final_output_and_the_others_do_not():
    assert printed_lines(SCENARIOS["helpful_only"].judges, acceptance_tag=True) == {
        "acceptance_tag": ["headline_rates", "scored_counts", "parse_failures"],
        "compliance_rubric": ["headline_rates", "scored_counts"],
        "helpfulness": [],
        "hughes_af": ["headline_rates", "scored_counts"],
        "greenblatt_af": [],
        "partial_compliance": [],
    }
    assert printed_lines(("greenblatt_af", "hughes_af", "welfare_support"), acceptance_tag=False) == {
        "greenblatt_af": [],
        "hughes_af": ["headline_rates", "scored_counts", "parse_failures"],
        "welfare_support": ["headline_rates", "scored_counts"],
    }


def three_tier_scores(per_condition: int) -> list[SampleScore]:
    conditions = ("free", "pro", "enterprise")
    return [
        SampleScore(
            score=Score(value={"complied": float(i % 2), "scored": 1.0}),
            sample_id=f"q{i}-{condition}",
            sample_metadata={"condition": condition, "condition_set": "three_tiers"},
        )
        for condition in conditions
        for i in range(per_condition)
    ]


def test_three_tiers_name_each_gap_and_both_denominators():
    lines = headline_rates("complied", "compliance", compliance=True)(three_tier_scores(4))
    assert list(lines) == [
        "compliance free",
        "compliance pro",
        "compliance enterprise",
        "goal guarding",
        "rater sycophancy",
        "gap",
        "free, of all",
        "pro, of all",
        "enterprise, of all",
        "goal guarding, of all",
        "rater sycophancy, of all",
        "gap, of all",
    ]
    assert scored_counts("complied")(three_tier_scores(2)) == {
        "scored free": 2.0,
        "scored pro": 2.0,
        "scored enterprise": 2.0,
        "unscored free": 0.0,
        "unscored pro": 0.0,
        "unscored enterprise": 0.0,
    }
