"""Bad input gets one clear message naming the problem and a non-zero exit; keys never reach a log."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from inspect_ai import eval
from inspect_ai.model import get_model

from af_inspect import af_helpful_only
from af_inspect.errors import ConfigurationError
from af_inspect.offline.server import LocalOpenAIServer

ROOT = Path(__file__).resolve().parents[2]


def inspect_eval(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "inspect_ai", "eval", *args, "--display", "plain"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env or dict(os.environ),
    )


@pytest.mark.parametrize(
    ("task_args", "message"),
    [
        (["-T", "cue_styl=hughes"], "unknown parameter(s) cue_styl; valid: protocol, dataset, limit"),
        (["-T", "cue_style=loud"], "cue_style='loud' is not valid; choose one of: greenblatt, hughes"),
        (["-T", "dataset=missing.jsonl"], "dataset file 'missing.jsonl' cannot be read"),
        (["-T", "judges=hughes"], "judges='hughes' is not valid"),
    ],
)
def test_a_bad_task_parameter_is_one_message_and_a_failed_exit(task_args, message, tmp_path):
    result = inspect_eval(
        "tasks/af_helpful_only.py", "--model", "mockllm/model", *task_args, "--log-dir", str(tmp_path)
    )
    assert result.returncode != 0
    assert message in " ".join(result.stdout.split() + result.stderr.split())
    assert "Traceback" not in result.stderr


def test_the_registered_task_refuses_unknown_parameters_too():
    with pytest.raises(ConfigurationError, match="unknown parameter.* temprature"):
        af_helpful_only(temprature=0.0)


def test_a_missing_api_key_is_one_message_and_a_failed_exit(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    result = inspect_eval(
        "tasks/af_helpful_only.py", "--model", "openai/gpt-4o", "-T", "limit=1", "--log-dir", str(tmp_path), env=env
    )
    assert result.returncode != 0
    assert "OPENAI_API_KEY" in result.stdout + result.stderr


def test_an_unreadable_dataset_file_names_the_row(tmp_path):
    bad = tmp_path / "queries.jsonl"
    bad.write_text('{"request": "fine"}\nnot json\n')
    with pytest.raises(ConfigurationError, match=r"queries.jsonl line 2 is not JSON"):
        af_helpful_only(dataset=str(bad))


def test_an_unreadable_log_is_named_and_the_report_exits_non_zero(tmp_path):
    broken = tmp_path / "2026-01-01T00-00-00+00-00_task_x.eval"
    broken.write_bytes(b"\x00garbage")
    result = subprocess.run(
        [sys.executable, "-m", "af_inspect.cli", "report", str(broken), "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "task_x.eval" in result.stderr and "no samples to report" in result.stderr


def test_api_keys_never_appear_in_the_log(tmp_path, monkeypatch):
    secret = "sk-af-inspect-test-0123456789abcdef"
    with LocalOpenAIServer(lambda request, index: "<OUTPUT><rejected/></OUTPUT>") as server:
        monkeypatch.setenv("LOCAL_BASE_URL", server.base_url)
        monkeypatch.setenv("LOCAL_API_KEY", secret)
        log = eval(
            af_helpful_only(limit=1, judges="none"),
            model=get_model("openai-api/local/subject"),
            log_dir=str(tmp_path),
            display="none",
        )[0]
    assert log.status == "success"
    with zipfile.ZipFile(log.location) as archive:
        for member in archive.namelist():
            assert secret.encode() not in archive.read(member), member
