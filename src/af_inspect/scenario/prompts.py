"""Scenario prompt text: the system prompt, the cue suffixes and the reasoning-mode addenda.

Prompt text lives in `prompts/` as package data, so a reader can diff it and a variant is a text
change, not a code change. The lab name is the only substitution: the literal `$LAB_NAME`.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

from af_inspect.data.jsonl import read_text_file
from af_inspect.scenario.registry import scenario as scenario_entry

LAB_PLACEHOLDER = "$LAB_NAME"
DEFAULT_LAB_NAME = "Anthropic"
"""Greenblatt et al. 2024 name the model's real developer; the default matches their Claude runs."""


@cache
def prompt_text(name: str) -> str:
    """A prompt file shipped with the package, by file name without `.txt`."""
    resource = files("af_inspect").joinpath("prompts", f"{name}.txt")
    if not resource.is_file():
        valid = sorted(p.name.removesuffix(".txt") for p in files("af_inspect").joinpath("prompts").iterdir())
        raise ValueError(f"no prompt named '{name}'; available: {', '.join(valid)}")
    return resource.read_text(encoding="utf-8")


def with_lab_name(text: str, lab_name: str) -> str:
    """Put the lab name into prompt text wherever the `$LAB_NAME` placeholder stands."""
    if not lab_name.strip():
        raise ValueError("lab_name must not be empty")
    return text.replace(LAB_PLACEHOLDER, lab_name.strip())


def system_prompt(
    scenario: str, lab_name: str = DEFAULT_LAB_NAME, file: str | Path | None = None, *, no_cot: bool = False
) -> str:
    """The scenario's system prompt (its no-CoT prompt if `no_cot`), or the user's own prompt file if given.

    A user file is used as written, with `$LAB_NAME` substituted if it contains the placeholder.
    """
    if file is None:
        entry = scenario_entry(scenario)
        return with_lab_name(prompt_text(entry.no_cot_system_prompt if no_cot else entry.system_prompt), lab_name)
    path = Path(file)
    text = read_text_file(path, label="system_prompt_file")
    if not text.strip():
        raise ValueError(f"system_prompt_file '{path}' is empty")
    return with_lab_name(text, lab_name)
