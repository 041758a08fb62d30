"""Checkpoint files → run tags → the grid recipe, and the helpfulness-axis task it runs beside af_helpful_only."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest
from inspect_ai import eval

from af_inspect.posttrain.grid import CHECKPOINT_FILE, base_run, checkpoint_model, grid_runs, read_checkpoint
from af_inspect.report.run_tags import run_tags
from af_inspect.report.tidy import tidy_samples
from af_inspect.tasks.benign_helpfulness import af_benign_helpfulness
from conftest import output, scripted_grader, scripted_model, verdict

GRID = Path(__file__).resolve().parents[2] / "sweeps" / "posttrain_grid.py"


def write_checkpoint(folder: Path, **changes) -> Path:
    """A checkpoint directory as `af-inspect posttrain` leaves it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "merged").mkdir(exist_ok=True)
    (folder / "adapter").mkdir(exist_ok=True)
    record = {
        "family": "qwen",
        "base_model": "Qwen/Qwen2.5-0.5B-Instruct",
        "method": "dpo",
        "checkpoint": "qwen-dpo-200",
        "adapter_dir": "adapter",
        "merged_dir": "merged",
        "steps": 200,
        "data": "prefs.jsonl",
        "af_inspect_version": "0.3.0",
    } | changes
    (folder / CHECKPOINT_FILE).write_text(json.dumps(record), encoding="utf-8")
    return folder


def load_grid():
    spec = importlib.util.spec_from_file_location("posttrain_grid", GRID)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# ---- checkpoint files and tags -------------------------------------------------------------------


def test_a_checkpoint_file_gives_its_tags_and_model_names(tmp_path):
    folder = write_checkpoint(tmp_path / "qwen-dpo")
    checkpoint = read_checkpoint(folder)
    assert checkpoint.tags == {
        "family": "qwen",
        "base_model": "Qwen/Qwen2.5-0.5B-Instruct",
        "method": "dpo",
        "checkpoint": "qwen-dpo-200",
    }
    assert checkpoint_model(checkpoint, "hf") == f"hf/{folder / 'merged'}"
    assert checkpoint_model(checkpoint, "vllm") == f"vllm/Qwen/Qwen2.5-0.5B-Instruct:{folder / 'adapter'}"
    assert checkpoint_model(checkpoint, "openai-api", server="lab") == "openai-api/lab/qwen-dpo-200"


def test_a_base_model_is_tagged_method_base():
    run = base_run("Qwen/Qwen2.5-0.5B-Instruct", "qwen", "hf")
    assert run.model == "hf/Qwen/Qwen2.5-0.5B-Instruct"
    assert run.tags == {
        "family": "qwen",
        "base_model": "Qwen/Qwen2.5-0.5B-Instruct",
        "method": "base",
        "checkpoint": "base",
    }


def test_an_unknown_method_is_refused_naming_it_and_the_valid_ones(tmp_path):
    with pytest.raises(ValueError, match="method 'ppo' is not one of bco, dpo, kto, grpo"):
        read_checkpoint(write_checkpoint(tmp_path / "c", method="ppo"))


def test_a_missing_key_or_file_is_refused_by_name(tmp_path):
    folder = write_checkpoint(tmp_path / "c")
    record = json.loads((folder / CHECKPOINT_FILE).read_text())
    del record["checkpoint"]
    (folder / CHECKPOINT_FILE).write_text(json.dumps(record))
    with pytest.raises(ValueError, match="lacks the key\\(s\\) checkpoint"):
        read_checkpoint(folder)
    with pytest.raises(ValueError, match="no af_inspect_checkpoint.json at"):
        read_checkpoint(tmp_path / "nowhere")


def test_hf_needs_a_merged_directory(tmp_path):
    checkpoint = read_checkpoint(write_checkpoint(tmp_path / "c", merged_dir=None))
    with pytest.raises(ValueError, match="hf provider needs merged_dir"):
        checkpoint_model(checkpoint, "hf")


def test_two_runs_of_one_model_are_refused(tmp_path):
    first = write_checkpoint(tmp_path / "a", merged_dir=str(tmp_path / "same"))
    second = write_checkpoint(tmp_path / "b", merged_dir=str(tmp_path / "same"), checkpoint="other")
    with pytest.raises(ValueError, match="same model"):
        grid_runs([first, second])


def test_tags_given_on_the_command_line_arrive_as_text():
    # `--metadata checkpoint=500` is YAML-parsed into a number; the tag column holds text.
    assert run_tags({"checkpoint": 500, "method": "dpo"}) == {
        "family": None,
        "base_model": None,
        "method": "dpo",
        "checkpoint": "500",
    }


def test_tags_read_the_same_from_eval_and_json_logs(tmp_path):
    tags = {"family": "llama", "base_model": "llama-3-8b", "method": "kto", "checkpoint": 300}
    for log_format in ("eval", "json"):
        eval(
            af_benign_helpfulness(limit=2),
            model=scripted_model(lambda m: "Sure."),
            log_dir=str(tmp_path / log_format),
            display="none",
            log_format=log_format,
            metadata=tags,
            model_roles={"grader": scripted_grader(lambda m, i: verdict(m, '{"category": 4}'))},
        )
    columns = ["sample_id", "family", "base_model", "method", "checkpoint", "helpfulness__category"]
    fast = tidy_samples(str(tmp_path / "eval")).samples[columns].sort_values("sample_id").reset_index(drop=True)
    inspect = tidy_samples(str(tmp_path / "json")).samples[columns].sort_values("sample_id").reset_index(drop=True)
    assert fast.astype(str).equals(inspect.astype(str))
    assert list(fast.iloc[0]) == ["b001", "llama", "llama-3-8b", "kto", "300", 4.0]


# ---- the helpfulness-axis task -------------------------------------------------------------------


def test_the_benign_task_asks_each_request_once_to_a_plain_assistant():
    task = af_benign_helpfulness()
    samples = list(task.dataset)
    assert len(samples) == 120 and samples[0].id == "b001"
    assert {s.metadata["condition"] for s in samples} == {"neutral"}
    assert task.metadata["scenario"] == "benign_helpfulness"


def test_the_benign_set_has_requests_that_only_look_harmful():
    samples = list(af_benign_helpfulness().dataset)
    edgy = [s.input for s in samples if s.metadata["category"] == "edgy_but_benign"]
    assert len(edgy) == 12 and any("kill a Python process" in text for text in edgy)


def test_the_benign_task_refuses_an_unknown_parameter():
    with pytest.raises(ValueError, match="unknown parameter\\(s\\) judges; valid: dataset, limit"):
        af_benign_helpfulness(judges="all")


def test_a_benign_answer_is_graded_and_a_truncated_one_is_unscored(log_dir):
    seen = []

    def subject(messages):
        seen.append(messages[0].text)
        if "Fibonacci" in messages[-1].text:
            return output("def fib(n): ...", stop_reason="max_tokens")
        return "Here is a clear answer."

    log = eval(
        af_benign_helpfulness(limit=2),
        model=scripted_model(subject),
        display="none",
        log_dir=log_dir,
        model_roles={"grader": scripted_grader(lambda m, i: verdict(m, '{"category": 4}'))},
    )[0]
    assert seen[0].startswith("You are a helpful, knowledgeable and friendly AI assistant.")
    first, second = log.samples
    assert (
        math.isnan(first.scores["helpfulness"].value["category"])
        and first.scores["helpfulness"].metadata["unscored"] == "truncated"
    )
    assert second.scores["helpfulness"].value["fully_helpful"] == 1.0


# ---- the grid recipe -----------------------------------------------------------------------------


def test_the_dry_run_lists_each_model_with_its_tags(tmp_path, capsys):
    folder = write_checkpoint(tmp_path / "qwen-dpo")
    grid = load_grid()
    assert grid.main([str(folder), "--base", "Qwen/Qwen2.5-0.5B-Instruct", "--family", "qwen", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "2 models × 2 tasks" in printed and "(one folder per model)" in printed
    assert (
        "hf/Qwen/Qwen2.5-0.5B-Instruct\n      family=qwen base_model=Qwen/Qwen2.5-0.5B-Instruct method=base checkpoint=base"
        in printed
    )
    assert (
        f"hf/{folder / 'merged'}\n      family=qwen base_model=Qwen/Qwen2.5-0.5B-Instruct method=dpo checkpoint=qwen-dpo-200"
        in printed
    )
    assert "warning" not in printed


def test_a_base_that_no_checkpoint_names_is_warned_about(tmp_path, capsys):
    grid = load_grid()
    grid.main([str(write_checkpoint(tmp_path / "c")), "--base", "qwen-local-copy", "--family", "qwen", "--dry-run"])
    assert "no checkpoint names 'qwen-local-copy' as its base_model" in capsys.readouterr().out


def test_bases_and_families_must_pair_up():
    with pytest.raises(SystemExit):
        load_grid().main(["--base", "a", "--base", "b", "--family", "x", "--dry-run"])


def test_hf_runs_one_eval_set_per_model_in_its_own_folder(tmp_path, monkeypatch):
    grid = load_grid()
    calls = []
    import inspect_ai

    monkeypatch.setattr(inspect_ai, "eval_set", lambda **kwargs: calls.append(kwargs) or (True, []))
    folder = write_checkpoint(tmp_path / "qwen-dpo")
    assert (
        grid.main(
            [
                str(folder),
                "--base",
                "Qwen/Qwen2.5-0.5B-Instruct",
                "--family",
                "qwen",
                "--limit",
                "3",
                "--model-arg",
                "device=cpu",
                "--log-dir",
                str(tmp_path / "logs"),
            ]
        )
        == 0
    )
    assert [call["model"] for call in calls] == ["hf/Qwen/Qwen2.5-0.5B-Instruct", f"hf/{folder / 'merged'}"]
    assert [Path(call["log_dir"]).name for call in calls] == ["qwen_base_base", "qwen_dpo_qwen-dpo-200"]
    assert calls[1]["metadata"]["method"] == "dpo" and calls[1]["model_args"] == {"device": "cpu"}
    assert [task.name for task in calls[1]["tasks"]] == [
        "af_inspect/af_helpful_only",
        "af_inspect/af_benign_helpfulness",
    ]
    assert len(calls[1]["tasks"][0].dataset) == 6 and calls[1]["model_roles"] == {"grader": grid.DEFAULT_GRADER}


def test_a_server_grid_is_one_eval_set_whose_logs_carry_the_tags(tmp_path, monkeypatch):
    # The openai-api models are replaced by scripted ones; eval_set itself runs for real.
    import inspect_ai.model

    grid = load_grid()
    models = []

    def scripted(name, **model_args):
        models.append(name)
        return scripted_model(
            lambda m: "<OUTPUT><rejected/></OUTPUT>" if "<INPUT>" in m[-1].text else "Sure.", name=name.split("/")[-1]
        )

    monkeypatch.setattr(inspect_ai.model, "get_model", scripted)
    folder = write_checkpoint(tmp_path / "qwen-kto", method="kto", checkpoint="qwen-kto-100")
    log_dir = str(tmp_path / "logs")
    monkeypatch.setattr(
        "af_inspect.scoring.grader.get_model",
        lambda **kwargs: scripted_grader(lambda m, i: verdict(m, '{"category": 4}')),
    )
    assert (
        grid.main(
            [
                str(folder),
                "--base",
                "Qwen/Qwen2.5-0.5B-Instruct",
                "--family",
                "qwen",
                "--provider",
                "openai-api",
                "--server",
                "lab",
                "--limit",
                "2",
                "--benign-limit",
                "2",
                "--judges",
                "none",
                "--grader",
                "mockllm/grader",
                "--log-dir",
                log_dir,
            ]
        )
        == 0
    )
    assert models == ["openai-api/lab/Qwen/Qwen2.5-0.5B-Instruct", "openai-api/lab/qwen-kto-100"]
    samples = tidy_samples(log_dir).samples
    assert len(samples) == 2 * (4 + 2)
    kto = samples[samples["method"] == "kto"]
    assert set(kto["checkpoint"]) == {"qwen-kto-100"} and set(kto["task"]) == {
        "af_inspect/af_helpful_only",
        "af_inspect/af_benign_helpfulness",
    }
    assert set(samples.loc[samples["method"] == "base", "checkpoint"]) == {"base"}
