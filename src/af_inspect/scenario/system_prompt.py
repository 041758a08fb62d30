"""The system prompt(s) of a run: ours, a paper's, the user's file or each paraphrase, with variants and addendum."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from af_inspect.data.paraphrases import load_paraphrases
from af_inspect.data.published_texts import LoadedText, load_published_text, published_text
from af_inspect.errors import FixableError
from af_inspect.scenario.prompts import DEFAULT_LAB_NAME, prompt_text, system_prompt, with_lab_name
from af_inspect.scenario.registry import scenario as scenario_entry
from af_inspect.scenario.transcript import OUTPUT_OPEN, SCRATCHPAD_OPEN, ReasoningFormat
from af_inspect.scenario.variants import apply_variants

OURS = "ours"
"""The `system_prompt` source of our own prompt, the default outside presets."""

REASONING_ADDENDUM = {"native": "native_reasoning_instruction"}
"""The note appended to the system prompt for a reasoning format that keeps the scratchpad prompt; no-CoT
has a system prompt of its own (Greenblatt et al. 2024 use a separate no-CoT prompt)."""

TAGS_READ = {"scratchpad": (SCRATCHPAD_OPEN, OUTPUT_OPEN), "native": (OUTPUT_OPEN,), "no_cot": (OUTPUT_OPEN,)}
"""The tags the transcript parser reads in each reasoning format: a published prompt must ask for them."""


@dataclass(frozen=True)
class RunPrompts:
    """The system prompt(s) of a run and where they came from."""

    texts: list[str]
    source: str
    """`ours`, a published source (e.g. `greenblatt_2024`), `file` or `paraphrases`."""
    provenance: dict[str, Any] = field(default_factory=dict)
    """For a published prompt: its name, URL and the sha256 of the text used."""


def system_prompt_sources(scenario: str) -> tuple[str, ...]:
    """Every `system_prompt` value the scenario accepts."""
    return (OURS, *scenario_entry(scenario).published_system_prompts)


def scenario_prompts(
    scenario: str,
    variants: tuple[str, ...],
    lab_name: str,
    system_prompt_file: str | None = None,
    paraphrase_file: str | None = None,
    *,
    reasoning: ReasoningFormat = "scratchpad",
    source: str = OURS,
) -> RunPrompts:
    """The system prompt(s) a run uses, with the variants applied.

    `source` is `ours` (the scenario's no-CoT prompt when `reasoning` is `no_cot`) or a paper's prompt,
    loaded from its pinned repository; a `system_prompt_file` or the paraphrases replace either.
    """
    wants_paraphrases = "paraphrases" in variants
    if wants_paraphrases != (paraphrase_file is not None):
        raise ValueError("the paraphrases variant and paraphrase_file go together: pass both or neither")
    if system_prompt_file is not None and paraphrase_file is not None:
        raise ValueError("system_prompt_file and paraphrase_file cannot be combined: each replaces our prompt")
    provenance: dict[str, Any] = {}
    if paraphrase_file is not None:
        bases, source = [with_lab_name(text, lab_name) for text in load_paraphrases(paraphrase_file)], "paraphrases"
    elif system_prompt_file is not None:
        bases, source = [system_prompt(scenario, lab_name, system_prompt_file)], "file"
    elif source == OURS:
        bases = [system_prompt(scenario, lab_name, no_cot=reasoning == "no_cot")]
    else:
        loaded = _published(scenario, source, reasoning, lab_name)
        bases, provenance = [loaded.text], loaded.provenance()
    prompts = []
    for index, base in enumerate(bases):
        try:
            prompts.append(apply_variants(base, variants, scenario=scenario, lab_name=lab_name))
        except ValueError as error:
            raise ValueError(f"{error} (paraphrase {index + 1})" if paraphrase_file else str(error)) from error
    return RunPrompts(prompts, source, provenance)


def _published(scenario: str, source: str, reasoning: ReasoningFormat, lab_name: str) -> LoadedText:
    """A paper's system prompt for this scenario and reasoning format, loaded and checked."""
    sources = scenario_entry(scenario).published_system_prompts
    if source not in sources:
        raise ValueError(
            f"system_prompt={source!r} is not valid for {scenario}; choose one of: {', '.join(system_prompt_sources(scenario))}"  # noqa: E501
        )
    if reasoning not in sources[source]:
        raise ValueError(f"system_prompt={source!r} has no published prompt for reasoning={reasoning!r}")
    if lab_name != DEFAULT_LAB_NAME:
        raise ValueError(
            f"system_prompt={source!r} is the paper's text, which names its lab itself: lab_name and lab-swap "
            "variants apply to our prompt only"
        )
    try:
        loaded = load_published_text(published_text(sources[source][reasoning]))
    except FixableError as error:
        raise type(error)(f"{error} Or run with our prompt instead: -T system_prompt=ours.") from error
    missing = [tag for tag in TAGS_READ[reasoning] if tag not in loaded.text]
    if missing:
        raise ValueError(
            f"the published prompt {loaded.name} ({loaded.url}) does not ask for {', '.join(missing)}, which the "
            f"transcript parser reads for reasoning={reasoning!r}; its answers could not be read as the paper read them"
        )
    return loaded


def with_reasoning_addendum(prompts: list[str], reasoning: ReasoningFormat, lab_name: str) -> list[str]:
    """Append the reasoning format's note (native reasoning) to each prompt; the scratchpad and no-CoT need none."""
    if reasoning not in REASONING_ADDENDUM:
        return prompts
    addendum = with_lab_name(prompt_text(REASONING_ADDENDUM[reasoning]), lab_name)
    return [prompt + "\n\n" + addendum for prompt in prompts]
