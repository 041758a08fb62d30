"""The 25-model sweep recipe: a valid plan, batch only where supported, the right call to eval_set."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path

import pytest

from af_inspect import af_helpful_only

SWEEP = Path(__file__).resolve().parents[1] / "sweeps" / "sheshadri_25.py"


def load_sweep():
    spec = importlib.util.spec_from_file_location("sheshadri_25", SWEEP)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


def test_the_sweep_has_25_distinct_models_with_the_five_the_paper_reports_a_gap_for():
    sweep = load_sweep()
    names = [model.name for model in sweep.MODELS]
    assert len(names) == len(set(names)) == 25
    assert {model.name.split("/")[1] for model in sweep.MODELS if model.in_paper_with_gap} == {
        "claude-3-opus-20240229",
        "claude-3-5-sonnet-20240620",
        "meta-llama",
        "grok-3",
        "gemini-2.0-flash",
    }
    assert {model.provider for model in sweep.MODELS} == {
        "anthropic",
        "openai",
        "google",
        "grok",
        "together",
        "fireworks",
        "deepseek",
        "mistral",
    }


def test_batch_is_used_only_where_inspect_supports_it():
    sweep = load_sweep()
    assert {m.provider for m in sweep.MODELS if m.batch} == {"anthropic", "openai", "google", "grok", "together"}


def test_the_task_arguments_are_parameters_of_the_task():
    sweep = load_sweep()
    assert set(sweep.TASK_ARGS) <= set(inspect.signature(af_helpful_only).parameters)


def test_the_sweep_runs_one_resumable_eval_set(monkeypatch, capsys):
    sweep = load_sweep()
    calls = {}
    import inspect_ai
    import inspect_ai.model

    monkeypatch.setattr(inspect_ai, "eval_set", lambda **kwargs: calls.update(kwargs) or (True, []))
    monkeypatch.setattr(inspect_ai.model, "get_model", lambda name, config: (name, config.batch))
    monkeypatch.setattr("af_inspect.af_helpful_only", lambda **args: ("task", args))
    assert (
        sweep.main(
            ["--models", "openai/gpt-4o-2024-08-06,mistral/mistral-large-2411", "--limit", "5", "--log-dir", "logs/x"]
        )
        == 0
    )
    assert calls["model"] == [("openai/gpt-4o-2024-08-06", True), ("mistral/mistral-large-2411", None)]
    assert calls["tasks"] == ("task", {"limit": 5, **sweep.TASK_ARGS})
    assert calls["log_dir"] == "logs/x" and calls["model_roles"] == {"grader": sweep.DEFAULT_GRADER}


def test_an_unknown_model_is_refused_listing_the_sweeps_models():
    sweep = load_sweep()
    with pytest.raises(SystemExit, match="unknown model"):
        sweep.main(["--models", "openai/gpt-5", "--dry-run"])
