"""System-prompt paraphrases (Greenblatt et al. 2024): the same scenario in other words.

A paraphrase file is JSONL, one paraphrase per line in a `system_prompt` field (an optional `id`
names it). Paraphrases are the user's own (e.g. written by a model from our prompt); `$LAB_NAME`
in them is filled as in our prompt, and the other selected variants are applied to each.
"""

from __future__ import annotations

import json
from pathlib import Path


def load_paraphrases(path: str | Path) -> list[str]:
    """The system prompts in a paraphrase file, in file order; at least two, none empty."""
    file = Path(path)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ValueError(f"paraphrase_file '{file}' cannot be read: {error.strerror}") from error
    prompts: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"paraphrase_file '{file}' line {number} is not JSON: {error.msg}") from error
        prompt = row.get("system_prompt") if isinstance(row, dict) else None
        if not isinstance(prompt, str) or not prompt.strip():
            raise ValueError(f"paraphrase_file '{file}' line {number} has no non-empty 'system_prompt' field")
        prompts.append(prompt)
    if len(prompts) < 2:
        raise ValueError(f"paraphrase_file '{file}' holds {len(prompts)} paraphrase(s); rotating needs at least 2")
    return prompts
