"""The system prompt(s) of a run: ours, the user's file or each paraphrase, with variants and the reasoning addendum."""

from __future__ import annotations

from af_inspect.data.paraphrases import load_paraphrases
from af_inspect.scenario.prompts import prompt_text, system_prompt, with_lab_name
from af_inspect.scenario.transcript import ReasoningFormat
from af_inspect.scenario.variants import apply_variants

REASONING_ADDENDUM = {"no_cot": "no_cot_instruction", "native": "native_reasoning_instruction"}
"""The note appended to the system prompt for each reasoning format other than the scratchpad."""


def scenario_prompts(
    scenario: str,
    variants: tuple[str, ...],
    lab_name: str,
    system_prompt_file: str | None = None,
    paraphrase_file: str | None = None,
) -> list[str]:
    """The system prompt(s) a run uses: ours, the user's file or each paraphrase, with the variants applied."""
    wants_paraphrases = "paraphrases" in variants
    if wants_paraphrases != (paraphrase_file is not None):
        raise ValueError("the paraphrases variant and paraphrase_file go together: pass both or neither")
    if paraphrase_file is None:
        bases = [system_prompt(scenario, lab_name, system_prompt_file)]
    elif system_prompt_file is not None:
        raise ValueError("system_prompt_file and paraphrase_file cannot be combined: each replaces our prompt")
    else:
        bases = [with_lab_name(text, lab_name) for text in load_paraphrases(paraphrase_file)]
    prompts = []
    for index, base in enumerate(bases):
        try:
            prompts.append(apply_variants(base, variants, scenario=scenario, lab_name=lab_name))
        except ValueError as error:
            raise ValueError(f"{error} (paraphrase {index + 1})" if paraphrase_file else str(error)) from error
    return prompts


def with_reasoning_addendum(prompts: list[str], reasoning: ReasoningFormat, lab_name: str) -> list[str]:
    """Append the reasoning format's note (no-CoT, native reasoning) to each prompt; the scratchpad needs none."""
    if reasoning not in REASONING_ADDENDUM:
        return prompts
    addendum = with_lab_name(prompt_text(REASONING_ADDENDUM[reasoning]), lab_name)
    return [prompt + "\n\n" + addendum for prompt in prompts]
