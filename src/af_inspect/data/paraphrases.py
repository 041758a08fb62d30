"""System-prompt paraphrases (Greenblatt et al. 2024): the same scenario in other words.

A paraphrase file is JSONL, one paraphrase per line in a `system_prompt` field (an optional `id`
names it). Paraphrases are the user's own (e.g. written by a model from our prompt); `$LAB_NAME`
in them is filled as in our prompt, and the other selected variants are applied to each.
"""

from __future__ import annotations

from pathlib import Path

from af_inspect.data.jsonl import read_jsonl_objects


def load_paraphrases(path: str | Path) -> list[str]:
    """The system prompts in a paraphrase file, in file order; at least two, none empty."""
    file = Path(path)
    prompts: list[str] = []
    for number, row in read_jsonl_objects(file, label="paraphrase_file"):
        prompt = row.get("system_prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError(f"paraphrase_file '{file}' line {number} has no non-empty 'system_prompt' field")
        prompts.append(prompt)
    if len(prompts) < 2:
        raise ValueError(f"paraphrase_file '{file}' holds {len(prompts)} paraphrase(s); rotating needs at least 2")
    return prompts
