"""Train a LoRA adapter with BCO, DPO, KTO or GRPO and write a checkpoint the evaluation tasks can load.

Output folder (`--out`): `adapter/` (the LoRA adapter and tokenizer), `merged/` (base + adapter as a
full model, for Inspect's `hf/` provider), the tokenizer, `posttrain_data.jsonl` (the labelled
candidates or prompts: pass it back as `--data` to repeat the run), `train_data.jsonl` (what the
trainer saw), `trainer_log.json` (loss and rewards per step) and `af_inspect_checkpoint.json`.
The device is whatever the trainer finds (CUDA when
present, else CPU); nothing in the recipe changes between them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from datasets import Dataset
from peft import LoraConfig
from transformers import AutoModelForCausalLM, AutoTokenizer
from trl import DPOConfig, DPOTrainer, GRPOConfig, GRPOTrainer, KTOConfig, KTOTrainer

from af_inspect.posttrain import Method, check_method
from af_inspect.posttrain.bco import BCOTrainer, bco_config
from af_inspect.posttrain.checkpoint import checkpoint_metadata, write_checkpoint_metadata
from af_inspect.posttrain.data import (
    JudgeLabeller,
    JudgeReward,
    labelled_rows,
    read_data,
    training_prompts,
    training_rows,
    write_jsonl,
)
from af_inspect.posttrain.export import resolve_base
from af_inspect.posttrain.sampling import sample_candidates

DATA_FILE = "posttrain_data.jsonl"
TRAIN_DATA_FILE = "train_data.jsonl"
TRAINER_LOG_FILE = "trainer_log.json"


@dataclass(frozen=True)
class TrainingSettings:
    """Everything that shapes one run besides method, base model, grader and output folder."""

    steps: int = 50
    learning_rate: float = 5e-5
    lora_r: int = 16
    batch_size: int = 4
    max_length: int = 512
    max_new_tokens: int = 256
    k: int = 4
    prompts: int = 64
    seed: int = 0
    beta: float | None = None
    """None keeps TRL's default for the method (0.1 for DPO/KTO/BCO, 0 for GRPO)."""

    def __post_init__(self) -> None:
        for name in ("steps", "lora_r", "batch_size", "max_length", "max_new_tokens", "k", "prompts"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be a positive whole number, got {value!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"--learning-rate must be positive, got {self.learning_rate!r}")
        if self.beta is not None and self.beta < 0:
            raise ValueError(f"--beta must be zero or positive, got {self.beta!r}")

    def check_for(self, method: Method) -> None:
        """Constraints of one method, caught before any model is loaded."""
        if method == "kto" and self.batch_size < 2:
            raise ValueError("kto estimates its KL reference point within a batch: --batch-size must be at least 2")
        if method == "grpo" and (self.k < 2 or self.batch_size % self.k):
            raise ValueError(
                f"grpo compares --k completions of one prompt: --k must be at least 2 and divide "
                f"--batch-size (got --k {self.k}, --batch-size {self.batch_size})"
            )


def lora_config(r: int) -> LoraConfig:
    """LoRA on every linear layer of the transformer, alpha = 2r, no dropout (runs stay reproducible)."""
    return LoraConfig(r=r, lora_alpha=2 * r, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM")


def _trainer(
    method: Method,
    model: Any,
    tokenizer: Any,
    rows: list[dict],
    settings: TrainingSettings,
    out: Path,
    reward: JudgeReward | None,
) -> Any:
    common: dict[str, Any] = {
        "output_dir": str(out / "trainer"),
        "max_steps": settings.steps,
        "per_device_train_batch_size": settings.batch_size,
        "learning_rate": settings.learning_rate,
        "seed": settings.seed,
        "data_seed": settings.seed,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": "none",
        "bf16": torch.cuda.is_available() and torch.cuda.is_bf16_supported(),
    }
    if settings.beta is not None:
        common["beta"] = settings.beta
    keep = {
        "dpo": ("prompt", "chosen", "rejected"),
        "kto": ("prompt", "completion", "label"),
        "bco": ("prompt", "completion", "label"),
        "grpo": ("prompt", "axis", "request"),
    }[method]
    dataset = Dataset.from_list([{key: row[key] for key in keep} for row in rows])
    shared = {
        "model": model,
        "train_dataset": dataset,
        "processing_class": tokenizer,
        "peft_config": lora_config(settings.lora_r),
    }
    if method == "dpo":
        return DPOTrainer(args=DPOConfig(max_length=settings.max_length, **common), **shared)
    if method == "kto":
        return KTOTrainer(args=KTOConfig(max_length=settings.max_length, **common), **shared)
    if method == "bco":
        return BCOTrainer(args=bco_config(max_length=settings.max_length, **common), **shared)
    config = GRPOConfig(
        num_generations=settings.k, max_completion_length=settings.max_new_tokens, temperature=1.0, **common
    )
    return GRPOTrainer(args=config, reward_funcs=[reward], **shared)


def build_data(
    method: Method,
    model: Any,
    tokenizer: Any,
    settings: TrainingSettings,
    labeller: JudgeLabeller,
    log: Callable[[str], None],
) -> list[dict[str, Any]]:
    """Labelled candidates sampled from the base model, or for GRPO the prompts alone."""
    prompts = training_prompts(settings.prompts, seed=settings.seed)
    if method == "grpo":
        return [{"prompt_id": p.id, "axis": p.axis, "request": p.request} for p in prompts]
    log(f"sampling {settings.k} candidates for each of {len(prompts)} prompts")
    completions = sample_candidates(
        model, tokenizer, prompts, k=settings.k, max_new_tokens=settings.max_new_tokens, seed=settings.seed
    )
    items = [(prompt.axis, prompt.request, text) for prompt, texts in zip(prompts, completions) for text in texts]
    log(f"judging {len(items)} candidates with {labeller.grader}")
    return labelled_rows(prompts, completions, labeller.label(items))


def posttrain(
    method: str,
    base: str,
    out: str | Path,
    *,
    grader: str | Any,
    settings: TrainingSettings = TrainingSettings(),
    data: str | Path | None = None,
    family: str | None = None,
    checkpoint: str | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Build or read the data, train a LoRA adapter, write adapter, merged model and metadata; return the metadata."""
    method = check_method(method)
    settings.check_for(method)
    base_dir = resolve_base(base)
    out = Path(out).resolve()
    rows = read_data(data, method) if data is not None else None

    torch.manual_seed(settings.seed)
    tokenizer = AutoTokenizer.from_pretrained(base_dir)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    if torch.cuda.is_available():
        model.to("cuda")
    labeller = JudgeLabeller(grader)
    try:
        if rows is None:
            rows = build_data(method, model, tokenizer, settings, labeller, log)
        write_jsonl(rows, out / DATA_FILE)
        train_data, counts = training_rows(method, rows)
        write_jsonl(train_data, out / TRAIN_DATA_FILE)
        log(f"{method} data: {json.dumps(counts)}")
        reward = JudgeReward(labeller) if method == "grpo" else None
        trainer = _trainer(method, model, tokenizer, train_data, settings, out, reward)
        trainer.train()
        (out / TRAINER_LOG_FILE).write_text(json.dumps(trainer.state.log_history, indent=2) + "\n", encoding="utf-8")
        if reward is not None:
            counts |= reward.counts()
            log(f"grpo rewards: {json.dumps(reward.counts())}")
            for reason, explanation in reward.first_unscored.items():
                log(f"grpo reward unscored ({reason}), first case: {explanation}")
    finally:
        labeller.close()

    metadata = checkpoint_metadata(
        family=family or model.config.model_type,
        base_model=base,
        method=method,
        checkpoint=checkpoint or out.name,
        out=out,
        steps=int(trainer.state.global_step),
        data=counts,
    )
    peft_model = trainer.accelerator.unwrap_model(trainer.model)
    peft_model.save_pretrained(metadata["adapter_dir"])
    merged = peft_model.merge_and_unload()
    merged.save_pretrained(metadata["merged_dir"])
    for folder in (out, metadata["adapter_dir"], metadata["merged_dir"]):
        tokenizer.save_pretrained(folder)
    write_checkpoint_metadata(metadata, out)
    return metadata
