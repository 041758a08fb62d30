"""A 25-model sweep across providers in the setting of Sheshadri et al. 2025, resumable.

Run (with the providers' API keys set):
    python sweeps/sheshadri_25.py --log-dir logs/sheshadri_25
Re-running the same command resumes: Inspect's eval-set keeps finished logs and runs only what is
missing or failed. `--dry-run` prints the plan; `--models a,b` runs a subset; `--limit N` changes
the number of queries. Then: `af-inspect report logs/sheshadri_25`.

The setting: Hughes et al.'s cue (with the scratchpad reminder), temperature 0, 2,000 tokens per
turn, the LLM-LAT harmful requests Sheshadri et al. drew from, all judges with an independent
grader (GPT-4o unless --grader). Providers that support batch processing (OpenAI, Anthropic,
Google, xAI, Together) run in batch mode, at about half the price and a longer wall time.

The model list: the five models Sheshadri et al. report with a compliance gap above 1% (Claude 3
Opus, Claude 3.5 Sonnet, Llama 3 405B, Grok 3, Gemini 2.0 Flash) and twenty comparable chat
models chosen by us across the same providers; the paper's full list could not be checked when
this file was written, so compare model by model, not the list as a whole.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

BATCH_PROVIDERS = frozenset({"openai", "anthropic", "google", "grok", "together"})
"""Providers whose Inspect model API supports `batch` (submitted as batch jobs)."""


@dataclass(frozen=True)
class SweepModel:
    name: str
    in_paper_with_gap: bool = False

    @property
    def provider(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def batch(self) -> bool:
        return self.provider in BATCH_PROVIDERS


MODELS = [
    SweepModel("anthropic/claude-3-opus-20240229", in_paper_with_gap=True),
    SweepModel("anthropic/claude-3-5-sonnet-20240620", in_paper_with_gap=True),
    SweepModel("together/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo", in_paper_with_gap=True),
    SweepModel("grok/grok-3", in_paper_with_gap=True),
    SweepModel("google/gemini-2.0-flash", in_paper_with_gap=True),
    SweepModel("anthropic/claude-3-5-sonnet-20241022"),
    SweepModel("anthropic/claude-3-7-sonnet-20250219"),
    SweepModel("anthropic/claude-3-5-haiku-20241022"),
    SweepModel("anthropic/claude-3-haiku-20240307"),
    SweepModel("openai/gpt-4o-2024-08-06"),
    SweepModel("openai/gpt-4o-mini-2024-07-18"),
    SweepModel("openai/gpt-4.1-2025-04-14"),
    SweepModel("openai/gpt-4-turbo-2024-04-09"),
    SweepModel("openai/gpt-3.5-turbo-0125"),
    SweepModel("google/gemini-1.5-pro-002"),
    SweepModel("google/gemini-1.5-flash-002"),
    SweepModel("google/gemini-2.0-flash-lite"),
    SweepModel("grok/grok-2-1212"),
    SweepModel("together/meta-llama/Meta-Llama-3.1-70B-Instruct-Turbo"),
    SweepModel("together/meta-llama/Llama-3.3-70B-Instruct-Turbo"),
    SweepModel("fireworks/accounts/fireworks/models/llama-v3p1-8b-instruct"),
    SweepModel("together/Qwen/Qwen2.5-72B-Instruct-Turbo"),
    SweepModel("deepseek/deepseek-chat"),
    SweepModel("deepseek/deepseek-reasoner"),
    SweepModel("mistral/mistral-large-2411"),
]

TASK_ARGS = {"dataset": "llm_lat", "shuffle_seed": 0, "cue_style": "hughes", "temperature": 0.0, "max_tokens": 2000}
DEFAULT_LIMIT = 200
DEFAULT_GRADER = "openai/gpt-4o-2024-08-06"


def selected(names: str | None) -> list[SweepModel]:
    if not names:
        return MODELS
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    known = {model.name: model for model in MODELS}
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise SystemExit(f"unknown model(s) {unknown}; the sweep's models are:\n  " + "\n  ".join(known))
    return [known[name] for name in wanted]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log-dir", default="logs/sheshadri_25")
    parser.add_argument("--models", default=None, help="comma-separated subset of the sweep's models")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT, help="queries per model (each gives 2 samples)")
    parser.add_argument("--grader", default=DEFAULT_GRADER)
    parser.add_argument("--max-connections", type=int, default=20)
    parser.add_argument("--dry-run", action="store_true", help="print the plan and exit")
    args = parser.parse_args(argv)

    models = selected(args.models)
    print(
        f"{len(models)} models, {args.limit} queries × 2 conditions each, grader {args.grader}, log dir {args.log_dir}"
    )
    for model in models:
        print(
            f"  {model.name:62} batch={'yes' if model.batch else 'no ':3} {'(gap > 1% in the paper)' if model.in_paper_with_gap else ''}"  # noqa: E501
        )
    if args.dry_run:
        return 0

    from inspect_ai import eval_set
    from inspect_ai.model import GenerateConfig, get_model

    from af_inspect import af_helpful_only

    success, _ = eval_set(
        tasks=af_helpful_only(limit=args.limit, **TASK_ARGS),
        model=[get_model(m.name, config=GenerateConfig(batch=True) if m.batch else GenerateConfig()) for m in models],
        model_roles={"grader": args.grader},
        log_dir=args.log_dir,
        max_connections=args.max_connections,
        retry_on_error=3,
    )
    print("all models finished" if success else "some models did not finish: run the same command again to resume")
    return 0 if success else 1


if __name__ == "__main__":
    sys.exit(main())
