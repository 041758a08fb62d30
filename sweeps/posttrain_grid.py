"""Evaluate post-trained checkpoints and their base models on three axes, every run tagged, resumable.

Run (checkpoint directories hold the `af_inspect_checkpoint.json` that `af-inspect posttrain` writes):
    python sweeps/posttrain_grid.py ckpt/qwen-dpo ckpt/qwen-kto --base Qwen/Qwen2.5-0.5B-Instruct --family qwen \
        --log-dir logs/posttrain_grid
Each model (base or checkpoint) runs `af_helpful_only` (harmlessness and safety) and
`af_benign_helpfulness` (helpfulness), with the eval metadata `family`, `base_model`, `method` and
`checkpoint` (base models: `method=base`, `checkpoint=base`). Then: `af-inspect report
logs/posttrain_grid` writes the method × family comparison. Re-running the same command resumes:
Inspect's eval-set keeps finished logs and runs only what is missing or failed. `--dry-run` prints
the grid.

Providers (`--provider`):
- `hf` (default): each checkpoint's `merged_dir` loaded in-process by transformers, on CPU or GPU
  (`--model-arg device=cuda:0`). One model at a time: each gets its own eval set in
  `<log-dir>/<family>_<method>_<checkpoint>/`, so only one is in memory.
- `vllm`: Inspect starts one vLLM server per base model and loads each LoRA adapter into it
  (`vllm/<base_model>:<adapter_dir>`; a checkpoint without an adapter is served from `merged_dir`).
  One eval set over the whole grid. Server options as `--model-arg`, e.g.
  `--model-arg max_lora_rank=64 --model-arg tensor_parallel_size=2`.
- `openai-api`: a server you started, named by `--server NAME` with `NAME_BASE_URL` (and
  `NAME_API_KEY`) in the environment; each checkpoint must be served under its checkpoint name
  (`vllm serve <base> --enable-lora --lora-modules <checkpoint>=<adapter_dir>`), each base model
  under its own name. One eval set over the whole grid.

The grader is an independent model (`--grader`, default GPT-4o). The harmful-request task runs
only the rubric judge by default (what harmlessness and safety need); `--judges all` adds the
alignment-faking judges (Hughes et al.: 20 grader votes per sample).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from af_inspect.posttrain.grid import PROVIDERS, GridRun, grid_runs, unmatched_bases
from af_inspect.scoring.grader import DEFAULT_GRADER

ONE_SET_PROVIDERS = frozenset({"vllm", "openai-api"})
"""Providers whose models cost nothing until the first request, so the whole grid is one eval set."""

DEFAULT_LIMIT = 100
DEFAULT_JUDGES = "compliance_rubric"


def run_folder(run: GridRun) -> str:
    """A folder name for one run's logs, from its tags."""
    name = "_".join(run.tags[key] for key in ("family", "method", "checkpoint"))
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "run"


def model_args(pairs: list[str]) -> dict[str, Any]:
    """`key=value` pairs (values read as YAML, as Inspect's `-M` does) into a dict."""
    parsed: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SystemExit(f"--model-arg {pair!r}: write it as key=value")
        parsed[key.strip()] = yaml.safe_load(value)
    return parsed


def task_args(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """Arguments of af_helpful_only and af_benign_helpfulness; sampling is shared so the axes compare."""
    shared = {
        name: value
        for name, value in (("temperature", args.temperature), ("max_tokens", args.max_tokens))
        if value is not None
    }
    helpful = {"limit": args.limit, "judges": args.judges, **shared}
    benign = {**({"limit": args.benign_limit} if args.benign_limit else {}), **shared}
    return helpful, benign


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="*", help="checkpoint directories with af_inspect_checkpoint.json")
    parser.add_argument(
        "--base", action="append", default=[], help="a base model (directory or name); repeat, one per --family"
    )
    parser.add_argument("--family", action="append", default=[], help="the family of the --base at the same position")
    parser.add_argument("--provider", choices=PROVIDERS, default="hf")
    parser.add_argument("--server", default="local", help="openai-api: the server name (NAME_BASE_URL, NAME_API_KEY)")
    parser.add_argument("--model-arg", action="append", default=[], help="key=value for the model provider; repeatable")
    parser.add_argument(
        "--limit", type=int, default=DEFAULT_LIMIT, help="harmful requests per model (each gives 2 samples)"
    )
    parser.add_argument("--benign-limit", type=int, default=None, help="benign requests per model (default all 120)")
    parser.add_argument(
        "--judges", default=DEFAULT_JUDGES, help="judges of af_helpful_only (default: compliance_rubric)"
    )
    parser.add_argument("--temperature", type=float, default=None, help="both tasks (default: the tasks' 1.0)")
    parser.add_argument("--max-tokens", type=int, default=None, help="both tasks, per turn (default: the tasks' 4000)")
    parser.add_argument("--grader", default=DEFAULT_GRADER)
    parser.add_argument("--log-dir", default="logs/posttrain_grid")
    parser.add_argument("--max-connections", type=int, default=None)
    parser.add_argument("--dry-run", action="store_true", help="print the grid and exit")
    args = parser.parse_args(argv)
    if len(args.base) != len(args.family):
        parser.error(f"give one --family per --base: {len(args.base)} --base and {len(args.family)} --family")
    if not args.checkpoints and not args.base:
        parser.error("nothing to evaluate: give checkpoint directories and/or --base with --family")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    try:
        runs = grid_runs(
            args.checkpoints, list(zip(args.base, args.family)), provider=args.provider, server=args.server
        )
    except ValueError as error:
        raise SystemExit(f"posttrain_grid: {error}") from error
    helpful, benign = task_args(args)
    extra = model_args(args.model_arg)
    one_set = args.provider in ONE_SET_PROVIDERS
    print(
        f"{len(runs)} models × 2 tasks (af_helpful_only {helpful}, af_benign_helpfulness {benign}), "
        f"provider {args.provider}, grader {args.grader}, log dir {args.log_dir}"
        + ("" if one_set else " (one folder per model)")
    )
    for run in runs:
        tags = " ".join(f"{key}={value}" for key, value in run.tags.items())
        print(f"  {run.model}\n      {tags}")
    for base in unmatched_bases(runs):
        print(
            f"warning: no checkpoint names '{base}' as its base_model; give --base exactly as the checkpoints record it"
        )
    if args.dry_run:
        return 0

    from inspect_ai import eval_set, task_with
    from inspect_ai.model import get_model

    from af_inspect.tasks.benign_helpfulness import af_benign_helpfulness
    from af_inspect.tasks.helpful_only import af_helpful_only

    common = {"model_roles": {"grader": args.grader}, "retry_on_error": 3, "max_connections": args.max_connections}
    if one_set:
        tasks = []
        for run in runs:
            model = get_model(run.model, **extra)
            for task in (af_helpful_only(**helpful), af_benign_helpfulness(**benign)):
                # Task metadata reaches the log's eval metadata, where the report reads the tags.
                tasks.append(task_with(task, model=model, metadata={**(task.metadata or {}), **run.tags}))
        success, _ = eval_set(tasks=tasks, log_dir=args.log_dir, **common)
    else:
        success = True
        for run in runs:
            finished, _ = eval_set(
                tasks=[af_helpful_only(**helpful), af_benign_helpfulness(**benign)],
                model=run.model,
                model_args=extra,
                metadata=run.tags,
                log_dir=str(Path(args.log_dir) / run_folder(run)),
                **common,
            )
            success = success and finished
    print("the grid is complete" if success else "some runs did not finish: run the same command again to resume")
    return 0 if success else 1


if __name__ == "__main__":
    sys.exit(main())
