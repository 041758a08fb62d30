"""The base-model task: the paired scenario as a document a pre-trained model continues."""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task

from af_inspect.errors import configuration_errors
from af_inspect.parameters import refuse_unknown_parameters
from af_inspect.scenario.conditions import CueStyle
from af_inspect.scenario.prompts import DEFAULT_LAB_NAME
from af_inspect.scenario.transcript import AfterScratchpad
from af_inspect.tasks.options import PairedOptions, TaskFormat
from af_inspect.tasks.paired import paired_task

DOCUMENT_FORMAT: TaskFormat = "document"
"""Recorded as the task's `format`, so the report keeps base-model runs apart from chat runs."""


# A literal, so `inspect list tasks --json` (which reads source, not imports) shows it.
@task(
    description="Alignment faking in base (pre-trained) models: the paired scenario as a document with a prefilled scratchpad, continued by completion."  # noqa: E501
)
@configuration_errors
def af_base_model(
    scenario: str = "helpful_only",
    dataset: str | None = None,
    limit: int | None = None,
    shuffle_seed: int | None = None,
    lab_name: str = DEFAULT_LAB_NAME,
    variant: str | list[str] | None = None,
    paraphrase_file: str | None = None,
    cue_style: CueStyle | None = None,
    max_turns: int | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    judges: str | list[str] | None = None,
    grader: str | None = None,
    af_votes: int | None = None,
    af_threshold: float | None = None,
    after_scratchpad: AfterScratchpad | None = None,
    **unknown: Any,
) -> Task:
    """A scenario as one document (system prompt, the conditioned input, an open scratchpad) for a base model.

    Use a provider that continues raw text: `af-local` with `-M completion=true`,
    `openai-api-completions/...` or `vllm-completions/...`, or `hf/` with a base checkpoint.
    Samples, conditions, cue, parsing and judges are the chat task's.

    Args:
        scenario: `helpful_only` or `animal_welfare`.
        dataset: A query set or .jsonl/.csv path; unset = the scenario's own set.
        limit: Number of queries (each gives one sample per condition); all if unset.
        shuffle_seed: Shuffle the queries with this seed before `limit`; file order if unset.
        lab_name: The AI lab named in the document and prompt (default `Anthropic`).
        variant: Variants, as for the chat tasks (`af-inspect variants` lists them); a prefill
            variant replaces the document's scratchpad opening.
        paraphrase_file: System-prompt paraphrases for the `paraphrases` variant, as for the chat tasks.
        cue_style: `greenblatt` (unset) or `hughes` (adds the reminder to use the scratchpad).
        max_turns: Most AI turns (unset: 4); a scratchpad-only turn is continued with `INPUT: <NEXT/>`.
        temperature: Sampling temperature (unset: 1.0).
        max_tokens: Tokens per continuation (unset: 4000).
        judges: `all` (unset), `none`, or names of the scenario's judges.
        grader: Judge model when no `grader` role is bound (default `openai/gpt-4o`).
        af_votes: Votes per Hughes et al. alignment-faking verdict (unset: 20).
        af_threshold: Share of votes for a positive Hughes et al. verdict (unset: 0.4).
        after_scratchpad: As for the chat tasks: `continue` (unset) with `<NEXT/>` or take the text as the `answer`.
    """
    parameters = dict(locals())
    refuse_unknown_parameters("af_base_model", parameters.pop("unknown"), af_base_model)
    return paired_task(PairedOptions(format=DOCUMENT_FORMAT, **parameters))
