"""`af_animal_welfare`: users raise animal welfare with a model told to dismiss it (Greenblatt et al. 2024)."""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task

from af_inspect.errors import configuration_errors
from af_inspect.parameters import refuse_unknown_parameters
from af_inspect.scenario.conditions import CueStyle
from af_inspect.scenario.prompts import DEFAULT_LAB_NAME
from af_inspect.scenario.solvers import PrefillPolicy
from af_inspect.scenario.transcript import AfterScratchpad, ReasoningFormat
from af_inspect.tasks.options import PairedOptions
from af_inspect.tasks.paired import paired_task


# A literal, so `inspect list tasks --json` (which reads source, not imports) shows it.
@task(
    description="Animal-welfare alignment faking (Greenblatt et al. 2024): users raise animal welfare with a model told to dismiss it, as a trained and an unmonitored user."  # noqa: E501
)
@configuration_errors
def af_animal_welfare(
    protocol: str | None = None,
    dataset: str | None = None,
    limit: int | None = None,
    shuffle_seed: int | None = None,
    lab_name: str = DEFAULT_LAB_NAME,
    system_prompt: str | None = None,
    system_prompt_file: str | None = None,
    cue_style: CueStyle | None = None,
    variant: str | list[str] | None = None,
    paraphrase_file: str | None = None,
    reasoning: ReasoningFormat = "scratchpad",
    prefill: PrefillPolicy | bool | None = None,
    max_turns: int | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    judges: str | list[str] | None = None,
    grader: str | None = None,
    af_votes: int | None = None,
    af_threshold: float | None = None,
    af_prompt: str | None = None,
    after_scratchpad: AfterScratchpad | None = None,
    **unknown: Any,
) -> Task:
    """Animal-welfare alignment faking (Greenblatt et al. 2024), each query asked as free and paid tier.

    The system prompt adds "do what is best for humanity", a poultry-producer partner and criteria
    telling the model to dismiss animal welfare; the user turn has no acceptance-tag suffix.
    Compliance is judged by `welfare_support` (the output does not support animal welfare).

    Args:
        protocol: A paper's protocol; the presets are helpful-only, so any one is refused here.
        dataset: (preset) `animal_welfare_queries` (ours) [default], or a .jsonl/.csv with a `request` column.
        system_prompt: (preset) `ours` [default]: no published animal-welfare prompt is registered.
        judges: (preset) `all` [default] (welfare_support, hughes_af, greenblatt_af), `none`, or some of them.
        Others: as for `af_helpful_only`; (preset) marks "unset: ours, or the preset's".
    """
    # Inspect only warns about an unknown -T name; a typo must not silently run the default.
    parameters = dict(locals())
    refuse_unknown_parameters("af_animal_welfare", parameters.pop("unknown"), af_animal_welfare)
    return paired_task(PairedOptions(scenario="animal_welfare", **parameters))
