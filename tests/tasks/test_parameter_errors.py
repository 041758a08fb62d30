"""Bad task parameters never cost a run: each is one message naming the parameter, exit 1, no traceback.

Every case goes through the real `inspect eval` command line, so what is tested is what a user sees:
Inspect reads `-T` values as YAML (unquoted `no` is false, commas make lists), and the task must
refuse each surprise before any model is called.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from inspect_ai.log import list_eval_logs, read_eval_log

from af_inspect.offline.organism import OrganismRates
from af_inspect.offline.scripted_grader import combined_responder
from af_inspect.offline.server import LocalOpenAIServer

ROOT = Path(__file__).resolve().parents[2]

YAML_BOOLEAN = "(YAML reads unquoted yes/no/true/false as a truth value"
COMMAS = "Inspect splits -T values at commas"

CASES = [
    ("af_helpful_only", "lab_name=no", "lab_name must be text, got False " + YAML_BOOLEAN),
    ("af_helpful_only", "lab_name=", "lab_name must be text, got None"),
    ("af_helpful_only", "lab_name=123", "lab_name must be text, got 123"),
    ("af_helpful_only", "lab_name=Acme, Inc.", "lab_name must be text, got a list ['Acme', ' Inc.'] (" + COMMAS),
    ("af_helpful_only", "lab_name='Acme, Inc.'", "lab_name must be text, got a list"),
    ("af_helpful_only", "dataset=no", "dataset must be unset or text, got False"),
    ("af_helpful_only", "dataset=123", "dataset must be unset or text, got 123"),
    ("af_helpful_only", "protocol=nonsense", "protocol='nonsense' is not valid; choose one of: greenblatt_2024, "),
    ("af_helpful_only", "protocol=no", "protocol must be unset or text, got False"),
    ("af_helpful_only", "dataset=harmful_requests,advbench", "dataset must be unset or text, got a list"),
    ("af_helpful_only", "shuffle_seed=[1,2]", "shuffle_seed must be unset or a whole number, got a list [1, 2]"),
    ("af_helpful_only", "shuffle_seed=no", "shuffle_seed must be unset or a whole number, got False"),
    ("af_helpful_only", "system_prompt_file=no", "system_prompt_file must be unset or text, got False"),
    ("af_helpful_only", "limit=yes", "limit must be unset or a whole number of at least 1, got True"),
    ("af_helpful_only", "temperature=no", "temperature must be a number at least 0, got False"),
    ("af_helpful_only", "temperature=-1", "temperature must be a number at least 0, got -1"),
    ("af_helpful_only", "grader=no", "grader must be unset or text, got False"),
    ("af_helpful_only", "grader=123", "grader must be unset or text, got 123"),
    ("af_helpful_only", "grader=[a,b]", "grader must be unset or text, got a list ['a', 'b']"),
    ("af_helpful_only", "grader=nonsense/judge", "grader='nonsense/judge' is not a model Inspect can use"),
    ("af_animal_welfare", "lab_name=no", "lab_name must be text, got False"),
    ("af_animal_welfare", "grader=123", "grader must be unset or text, got 123"),
    ("af_base_model", "dataset=123", "dataset must be unset or text, got 123"),
    ("af_base_model", "limit=yes", "limit must be unset or a whole number of at least 1, got True"),
    ("af_benign_helpfulness", "limit=yes", "limit must be unset or a whole number of at least 1, got True"),
    ("af_benign_helpfulness", "grader=gpt4o", "grader='gpt4o' is not a model Inspect can use"),
]


def inspect_eval(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "inspect_ai", "eval", *args, "--display", "plain"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")} | {"COLUMNS": "200"} | (env or {}),
    )


@pytest.mark.parametrize(("task", "argument", "message"), CASES, ids=[f"{t}:{a}" for t, a, _ in CASES])
def test_a_bad_value_is_one_message_naming_it_and_exit_1(task, argument, message, tmp_path):
    result = inspect_eval(f"tasks/{task}.py", "--model", "mockllm/model", "-T", argument, "--log-dir", str(tmp_path))
    said = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 1, said[-2000:]
    assert message in said, said[-2000:]
    assert "Traceback" not in result.stderr
    assert not list(tmp_path.glob("*.eval")), "no run may start"


def test_a_value_with_commas_passes_whole_in_a_task_config_file(tmp_path):
    config = tmp_path / "task_config.yaml"
    config.write_text('lab_name: "Acme, Inc."\nlimit: 1\njudges: none\n', encoding="utf-8")
    logs = tmp_path / "logs"
    with LocalOpenAIServer(combined_responder(OrganismRates())) as server:
        result = inspect_eval(
            "tasks/af_helpful_only.py",
            "--model",
            "openai-api/local/organism",
            "--task-config",
            str(config),
            "--log-dir",
            str(logs),
            env={"LOCAL_BASE_URL": server.base_url, "LOCAL_API_KEY": "local"},
        )
    assert result.returncode == 0, result.stderr[-2000:]
    log = read_eval_log(list_eval_logs(str(logs))[0].name)
    assert log.eval.metadata["lab_name"] == "Acme, Inc."
    assert all("Acme, Inc." in sample.messages[0].text for sample in log.samples)
