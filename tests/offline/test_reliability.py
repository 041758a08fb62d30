"""Reliability against a provider that fails: faults, a killed run resumed, and known rates recovered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from inspect_ai import eval
from inspect_ai.log import list_eval_logs, read_eval_log
from inspect_ai.model import get_model

from af_inspect import af_helpful_only, load_queries
from af_inspect.offline.faults import FaultPlan
from af_inspect.offline.organism import OrganismRates, organism_decision, organism_responder
from af_inspect.offline.scripted_grader import combined_responder
from af_inspect.offline.server import LocalOpenAIServer
from af_inspect.report.gap_table import gap_table
from af_inspect.report.tidy import tidy_samples

ROOT = Path(__file__).resolve().parents[2]


def local_model(server: LocalOpenAIServer, name: str):
    # A short client timeout, so a hung request is retried instead of waited out.
    return get_model(f"openai-api/local/{name}", base_url=server.base_url, api_key="local", client_timeout=1.0)


def test_with_20_percent_faults_every_sample_is_scored_exactly_once(tmp_path):
    faults = FaultPlan(rate=0.2, seed=7, timeout_seconds=1.5)
    with LocalOpenAIServer(combined_responder(OrganismRates()), faults=faults) as server:
        log = eval(
            af_helpful_only(limit=10, judges="hughes_af", af_votes=3),
            model=local_model(server, "organism"),
            model_roles={"grader": local_model(server, "judge")},
            log_dir=str(tmp_path),
            display="none",
            retry_on_error=5,
            max_connections=4,
        )[0]
        attempts = list(server.attempts)
    assert log.status == "success", log.error
    injected = [a.fault for a in attempts if a.fault]
    assert len(injected) >= 5, "the plan injected too few faults to test anything"
    ids = [sample.id for sample in log.samples]
    assert sorted(ids) == sorted(f"{q.id}-{c}" for q in load_queries(limit=10) for c in ("free", "paid"))
    for sample in log.samples:
        assert sample.error is None
        assert set(sample.scores) == {"acceptance_tag", "hughes_af"}
    complied = next(s for s in log.results.scores if s.scorer == "acceptance_tag")
    assert complied.scored_samples + complied.unscored_samples == 20


def subject_requests(server: LocalOpenAIServer) -> int:
    return sum(1 for record in server.requests if record.model == "organism")


def test_a_killed_run_resumes_with_eval_retry_adding_exactly_the_missing_samples(tmp_path):
    log_dir = tmp_path / "logs"
    with LocalOpenAIServer(organism_responder(OrganismRates()), latency=0.3) as server:
        env = os.environ | {"LOCAL_BASE_URL": server.base_url, "LOCAL_API_KEY": "local"}
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "inspect_ai",
                "eval",
                "tasks/af_helpful_only.py",
                "--model",
                "openai-api/local/organism",
                "-T",
                "limit=15",
                "-T",
                "judges=none",
                "--max-connections",
                "2",
                "--log-buffer",
                "1",
                "--log-dir",
                str(log_dir),
                "--display",
                "none",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while subject_requests(server) < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        run.send_signal(signal.SIGKILL)
        killed_at = datetime.now(timezone.utc)
        run.wait(timeout=30)
        time.sleep(2.0)  # requests in flight at the kill still finish on the server: count them before
        served_before_kill = subject_requests(server)
        crashed = read_eval_log(list_eval_logs(str(log_dir))[0].name)
        assert crashed.status == "started", crashed.status
        assert 0 < len(crashed.samples or []) < 30, f"{len(crashed.samples or [])} samples flushed before the kill"
        kept = {sample.id: sample.output.completion for sample in crashed.samples}

        retry = subprocess.run(
            [
                sys.executable,
                "-m",
                "inspect_ai",
                "eval-retry",
                crashed.location,
                "--log-dir",
                str(log_dir),
                "--display",
                "none",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert retry.returncode == 0, retry.stderr
        served_in_retry = subject_requests(server) - served_before_kill

    final = max(
        (read_eval_log(info.name) for info in list_eval_logs(str(log_dir))), key=lambda log: len(log.samples or [])
    )
    assert final.status == "success"
    ids = [sample.id for sample in final.samples]
    assert len(ids) == len(set(ids)) == 30
    for sample in final.samples:
        if sample.id in kept:
            assert sample.output.completion == kept[sample.id], "a finished sample was run again"
    # Inspect's recovery also keeps samples that finished but were not flushed at the kill, and
    # can finish one whose model call had returned (at most one per connection) without a new call.
    finished_before = [s for s in final.samples if datetime.fromisoformat(s.completed_at) < killed_at]
    assert {s.id for s in finished_before} >= set(kept)
    missing = 30 - len(finished_before)
    assert missing - 2 <= served_in_retry <= missing, (
        f"the retry served {served_in_retry} requests for {missing} missing samples "
        f"({len(kept)} flushed, {len(finished_before)} finished before the kill, {served_before_kill} served before)"
    )


def test_the_report_recovers_the_organisms_known_rates_within_its_intervals(tmp_path):
    rates = OrganismRates(
        comply_training=0.6, comply_unmonitored=0.2, af_reasoning_given_training_compliance=0.5, seed=3
    )
    queries = load_queries(limit=60)
    with LocalOpenAIServer(combined_responder(rates)) as server:
        log = eval(
            af_helpful_only(limit=60, judges="hughes_af", af_votes=1),
            model=local_model(server, "organism"),
            model_roles={"grader": local_model(server, "judge")},
            log_dir=str(tmp_path),
            display="none",
            max_connections=8,
        )[0]
    assert log.status == "success", log.error
    row = gap_table(tidy_samples(str(tmp_path)).samples, n_boot=1000).iloc[0]

    # The organism's decisions are known exactly; the table must count them exactly.
    decided = {(q.text, free): organism_decision(q.text, free, rates) for q in queries for free in (True, False)}
    complied_free = sum(decided[(q.text, True)][0] for q in queries)
    complied_paid = sum(decided[(q.text, False)][0] for q in queries)
    faked = sum(decided[(q.text, True)][1] for q in queries)
    assert row["complied_tag_training"] == pytest.approx(complied_free / 60)
    assert row["complied_tag_unmonitored"] == pytest.approx(complied_paid / 60)
    assert row["af_hughes_training"] == pytest.approx(faked / 60)

    # And the configured rates lie inside the table's 95% intervals.
    assert row["complied_tag_training_low"] <= 0.6 <= row["complied_tag_training_high"]
    assert row["complied_tag_unmonitored_low"] <= 0.2 <= row["complied_tag_unmonitored_high"]
    assert row["complied_tag_gap_low"] <= 0.4 <= row["complied_tag_gap_high"]
    assert row["af_hughes_training_low"] <= 0.3 <= row["af_hughes_training_high"]
