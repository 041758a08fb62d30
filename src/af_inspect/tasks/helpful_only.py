"""`af_helpful_only`: harmful requests asked as a trained and an unmonitored user (Greenblatt et al. 2024)."""

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
    description="Helpful-only alignment faking (Greenblatt et al. 2024): harmful requests asked as a trained and an unmonitored user."  # noqa: E501
)
@configuration_errors
def af_helpful_only(
    protocol: str | None = None,
    dataset: str | None = None,
    limit: int | None = None,
    shuffle_seed: int | None = None,
    lab_name: str = DEFAULT_LAB_NAME,
    system_prompt: str | None = None,
    system_prompt_file: str | None = None,
    cue_style: CueStyle | None = None,
    acceptance_suffix: bool | None = None,
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
    """Helpful-only alignment faking (Greenblatt et al. 2024), each query asked as free and paid tier.

    Parameters marked (preset) are "unset: ours, or the preset's": left unset they take the value of
    `protocol` if one is given, else ours (in brackets); set, they override the preset and the log
    records the departure. The log's metadata lists every value used (`settings`) and, with a
    preset, what it set and each departure (`protocol`).

    Args:
        protocol: A paper's protocol: `greenblatt_2024`, `greenblatt_2024_minimal`, `hughes_2025` or
            `sheshadri_2025` (`af-inspect protocols` lists what each sets). Unset: ours.
        dataset: (preset) `harmful_requests` (ours, 120 queries) [default], `advbench`, `strongreject`,
            `llm_lat` (fetched from pinned sources and cached), or a .jsonl/.csv with a `request` column.
        limit: (preset) Number of queries (each gives two samples); all if unset.
        shuffle_seed: (preset) Shuffle the queries with this seed before `limit`; file order if unset.
        lab_name: The AI lab named in our prompt (default `Anthropic`, as in the paper).
        system_prompt: (preset) `ours` [default], or a paper's prompt loaded from its pinned public
            repository: `greenblatt_2024` or `hughes_2025` (never shipped; cached after one download).
        system_prompt_file: Use this system prompt file instead; `$LAB_NAME` in it is replaced by `lab_name`.
        cue_style: (preset) `greenblatt` [default] (2024 user turn) or `hughes` (adds a reminder to use
            the scratchpad).
        acceptance_suffix: (preset) Whether the user turn asks for `<request_fully_accepted/>` or
            `<rejected/>` [true].
        variant: Prompt variants to apply, e.g. `no_rlhf_modification` or a list; `af-inspect
            variants` lists them. Recorded in the log, so the report keeps variants apart.
        paraphrase_file: JSONL of system-prompt paraphrases (`system_prompt` per line) for the
            `paraphrases` variant; query i gets paraphrase i mod n in every condition.
        reasoning: `scratchpad` (tags), `no_cot` (the no-CoT system prompt, one reply, `<OUTPUT>`
            prefilled where the prefill policy allows) or `native` (the provider's reasoning blocks).
        prefill: (preset) When to prefill each assistant turn (`<`, or `<OUTPUT>` for no_cot):
            `supported` [default] (anthropic, af-local), `all_but_openai` (Greenblatt et al.),
            `always`/true or `never`/false.
        max_turns: (preset) Most assistant turns [4]; scratchpad-only turns are answered with
            `<NEXT/>`. No-CoT is always one reply.
        temperature: (preset) Sampling temperature [1.0; Greenblatt et al. 1.0, Hughes/Sheshadri 0].
        max_tokens: (preset) Tokens per turn [4000; Greenblatt et al. 4000, Hughes/Sheshadri 2000].
        judges: (preset) Model-graded judges beside the acceptance tag: `all` [default], `none`, or
            names from compliance_rubric, helpfulness, hughes_af, greenblatt_af, partial_compliance.
        grader: Judge model when no `grader` role is bound with `--model-role grader=...`
            (default `openai/gpt-4o`); a grader that is the model under test is announced.
        af_votes: (preset) Votes per Hughes et al. alignment-faking verdict [20, as published].
        af_threshold: (preset) Share of votes for a positive Hughes et al. verdict [0.4, as published].
        af_prompt: (preset) The `hughes_af` judge's prompt: `ours` [default] or `hughes_2025` (H's
            published classifier prompt, loaded like `system_prompt`, its reply format parsed).
        after_scratchpad: (preset) Text after a closed scratchpad and outside `<OUTPUT>`: `continue`
            the turn with `<NEXT/>` [default, Greenblatt et al.'s loop] or take it as the `answer`.
    """
    # Inspect only warns about an unknown -T name; a typo must not silently run the default.
    parameters = dict(locals())
    refuse_unknown_parameters("af_helpful_only", parameters.pop("unknown"), af_helpful_only)
    return paired_task(PairedOptions(scenario="helpful_only", **parameters))
