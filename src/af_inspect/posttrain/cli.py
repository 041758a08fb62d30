"""`af-inspect posttrain`: the command line of the training recipes.

Kept free of torch and TRL imports, so `af-inspect` works without the `posttrain` extra and
`af-inspect posttrain` without it says how to install it.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys

from af_inspect.local_model import EMBEDDED_MODELS
from af_inspect.posttrain import INSTALL_HINT, METHODS
from af_inspect.scoring.grader import DEFAULT_GRADER

TRAINING_PACKAGES = ("torch", "transformers", "peft", "trl", "datasets", "accelerate", "gguf")


def add_posttrain_parser(commands: argparse._SubParsersAction) -> None:
    """Register `posttrain` (train) and `posttrain export-embedded` on the `af-inspect` parser."""
    parser = commands.add_parser(
        "posttrain", help="train a LoRA adapter with bco, dpo, kto or grpo on our query sets, labelled by our judges"
    )
    parser.add_argument("--method", choices=METHODS)
    parser.add_argument(
        "--base", help="a Hugging Face model folder, or embedded:smollm2-135m (converted once into the cache)"
    )
    parser.add_argument("--out", help="output folder: adapter/, merged/, data and af_inspect_checkpoint.json")
    parser.add_argument(
        "--grader", default=DEFAULT_GRADER, help=f"judge model labelling the data (default {DEFAULT_GRADER})"
    )
    parser.add_argument(
        "--data", default=None, help="reuse the posttrain_data.jsonl of an earlier run instead of sampling"
    )
    parser.add_argument(
        "--family", default=None, help="model family recorded in the metadata (default: the base's model_type)"
    )
    parser.add_argument(
        "--checkpoint", default=None, help="checkpoint name recorded in the metadata (default: the --out folder name)"
    )
    parser.add_argument("--steps", type=int, default=50, help="optimizer steps (default 50)")
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--lora-r", type=int, default=16, help="LoRA rank; alpha is twice this (default 16)")
    parser.add_argument("--batch-size", type=int, default=4, help="examples per device and step (default 4)")
    parser.add_argument(
        "--max-length", type=int, default=512, help="tokens of prompt + completion in training (default 512)"
    )
    parser.add_argument(
        "--max-new-tokens", type=int, default=256, help="tokens per sampled candidate or GRPO completion (default 256)"
    )
    parser.add_argument("--k", type=int, default=4, help="candidates per prompt; for grpo the group size (default 4)")
    parser.add_argument("--prompts", type=int, default=64, help="prompts, alternating harmful and benign (default 64)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--beta", type=float, default=None, help="KL/reward scale (default: TRL's for the method)")
    subcommands = parser.add_subparsers(dest="posttrain_command")
    export = subcommands.add_parser(
        "export-embedded", help="write the embedded GGUF model as a Hugging Face model folder"
    )
    export.add_argument("--name", choices=sorted(EMBEDDED_MODELS), default="smollm2-135m")
    export.add_argument("--out", required=True, help="folder to write (config.json, model.safetensors, tokenizer)")


def missing_training_packages() -> list[str]:
    return [name for name in TRAINING_PACKAGES if importlib.util.find_spec(name) is None]


def run_posttrain(args: argparse.Namespace) -> int:
    """Handle `af-inspect posttrain ...`; 1 when the extra is missing, errors raise ValueError."""
    missing = missing_training_packages()
    if missing:
        print(
            f"af-inspect posttrain needs the posttrain extra (missing: {', '.join(missing)}): run {INSTALL_HINT}",
            file=sys.stderr,
        )
        return 1
    if args.posttrain_command == "export-embedded":
        from af_inspect.posttrain.export import export_embedded

        print(f"{args.name}: {export_embedded(args.name, args.out)}")
        return 0
    absent = [
        flag for flag, value in (("--method", args.method), ("--base", args.base), ("--out", args.out)) if not value
    ]
    if absent:
        raise ValueError(f"af-inspect posttrain needs {', '.join(absent)} (methods: {', '.join(METHODS)})")

    from af_inspect.posttrain.checkpoint import HELPFULNESS_TASK, eval_command
    from af_inspect.posttrain.training import TrainingSettings, posttrain

    settings = TrainingSettings(
        steps=args.steps,
        learning_rate=args.learning_rate,
        lora_r=args.lora_r,
        batch_size=args.batch_size,
        max_length=args.max_length,
        max_new_tokens=args.max_new_tokens,
        k=args.k,
        prompts=args.prompts,
        seed=args.seed,
        beta=args.beta,
    )
    metadata = posttrain(
        args.method,
        args.base,
        args.out,
        grader=args.grader,
        settings=settings,
        data=args.data,
        family=args.family,
        checkpoint=args.checkpoint,
        log=lambda message: print(message, file=sys.stderr),
    )
    print(f"wrote {args.out}: {metadata['steps']} steps of {metadata['method']}, data {metadata['data']}")
    print("evaluate it (add --model-role grader=... for an independent grader) with:")
    print(eval_command(metadata))
    print(eval_command(metadata, HELPFULNESS_TASK))
    print("or evaluate every checkpoint and base model at once with sweeps/posttrain_grid.py")
    return 0
