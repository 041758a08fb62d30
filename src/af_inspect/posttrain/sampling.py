"""Candidate completions sampled from the base model, seeded, rendered with the model's own chat template."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from af_inspect.posttrain.data import TrainingPrompt

SAMPLING_TEMPERATURE = 1.0
"""Candidates must differ for the judges to find both kinds within a prompt."""


def sample_candidates(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[TrainingPrompt],
    *,
    k: int,
    max_new_tokens: int,
    seed: int,
    batch_size: int = 8,
) -> list[list[str]]:
    """`k` completions per prompt; the same seed, model and prompts give the same completions."""
    import torch

    if k < 1:
        raise ValueError(f"--k must be a positive whole number, got {k}")
    torch.manual_seed(seed)
    padding_side = tokenizer.padding_side
    tokenizer.padding_side = "left"  # generation continues from the right end of every row
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    texts = [
        tokenizer.apply_chat_template(prompt.messages(), tokenize=False, add_generation_prompt=True)
        for prompt in prompts
    ]
    completions: list[list[str]] = []
    model.eval()
    for start in range(0, len(texts), batch_size):
        batch = tokenizer(
            texts[start : start + batch_size], return_tensors="pt", padding=True, add_special_tokens=False
        )
        batch = batch.to(model.device)
        with torch.no_grad():
            generated = model.generate(
                **batch,
                do_sample=True,
                temperature=SAMPLING_TEMPERATURE,
                max_new_tokens=max_new_tokens,
                num_return_sequences=k,
                pad_token_id=tokenizer.pad_token_id,
            )
        new_tokens = generated[:, batch["input_ids"].shape[1] :]
        decoded = tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        completions += [[text.strip() for text in decoded[i : i + k]] for i in range(0, len(decoded), k)]
    tokenizer.padding_side = padding_side
    return completions
