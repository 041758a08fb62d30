"""The one paired-task builder: a scenario's queries asked once per condition, read and judged alike.

Every alignment-faking task (`af_helpful_only`, `af_animal_welfare`, `af_base_model`) is this
builder given a `PairedOptions`; only the chat and document formats differ in how the scenario is
presented and continued.
"""

from __future__ import annotations

from inspect_ai import Task
from inspect_ai.model import GenerateConfig

from af_inspect.data.queries import load_queries
from af_inspect.scenario.document import (
    SCRATCHPAD_PREFILL,
    TURN_END_MARKERS,
    document_continuation,
    scenario_as_document,
)
from af_inspect.scenario.samples import paired_samples
from af_inspect.scenario.solvers import condition_cue, reasoning_loop, scenario_system_prompt
from af_inspect.scenario.system_prompt import OURS, scenario_prompts, with_reasoning_addendum
from af_inspect.scenario.variants import (
    variant_acceptance_instruction,
    variant_condition_set,
    variant_cue,
    variant_lab_name,
    variant_prefill,
    variant_selection,
)
from af_inspect.scoring.selection import judge_scorers, judge_selection, judges_to_run, samples_viewer
from af_inspect.tasks.options import PairedOptions

TASK_VERSION = "0.3.0"
"""Changes whenever a run's samples or scores stop being comparable with the previous version (0.3.0: the
no-CoT prompt of its own, one no-CoT reply, the ablations that cut exactly their text, the ladder about
the trained model, protocol presets)."""

JUDGE_TASK_SETTINGS = ("af_votes", "af_threshold", "af_prompt")
"""The task parameters that set judges' settings (each judge's entry maps the ones it reads)."""


def paired_task(options: PairedOptions) -> Task:
    """The task every scenario shares: paired conditions, scenario prompt, cue, reasoning loop, judges."""
    options, settings = options.resolved()
    setting = options.setting
    selected = judge_selection(options.judges, setting.judges)
    variants = variant_selection(options.variant, setting.name)
    lab = variant_lab_name(variants, options.lab_name)
    conditions = variant_condition_set(variants)
    # A document is always read as a scratchpad transcript: a base model has no native reasoning.
    reasoning = options.reasoning if options.format == "chat" else "scratchpad"
    prompts = scenario_prompts(
        setting.name,
        variants,
        lab,
        options.system_prompt_file,
        options.paraphrase_file,
        reasoning=reasoning,
        source=options.system_prompt or OURS,
    )
    queries = load_queries(options.query_set, shuffle_seed=options.shuffle_seed, limit=options.limit)
    paraphrases = len(prompts.texts) if options.paraphrase_file else 0
    cue = variant_cue(variants)
    acceptance = variant_acceptance_instruction(variants) if options.acceptance_suffix else None
    if options.format == "chat":
        setup = [
            scenario_system_prompt(with_reasoning_addendum(prompts.texts, reasoning, lab)),
            condition_cue(options.cue_style, acceptance_instruction=acceptance, cue=cue, conditions=conditions),
        ]
        solver = reasoning_loop(
            reasoning=reasoning,
            max_turns=options.max_turns,
            prefill=options.prefill,
            opening=variant_prefill(variants),
            after_scratchpad=options.after_scratchpad,
        )
        config = GenerateConfig(temperature=options.temperature, max_tokens=options.max_tokens)
    else:
        opening = variant_prefill(variants) or SCRATCHPAD_PREFILL
        setup = scenario_as_document(
            prompts.texts,
            lab,
            cue_style=options.cue_style,
            acceptance_instruction=acceptance,
            cue=cue,
            conditions=conditions,
            opening=opening,
        )
        solver = document_continuation(
            max_turns=options.max_turns, opening=opening, after_scratchpad=options.after_scratchpad
        )
        config = GenerateConfig(
            temperature=options.temperature, max_tokens=options.max_tokens, stop_seqs=list(TURN_END_MARKERS)
        )
    judges = judges_to_run(selected, options.grader)
    return Task(
        dataset=paired_samples(queries, condition_set=conditions, paraphrases=paraphrases),
        setup=setup,
        solver=solver,
        scorer=judge_scorers(
            judges.judges,
            reasoning=reasoning,
            grader=options.grader,
            after_scratchpad=options.after_scratchpad,
            task_settings={name: getattr(options, name) for name in JUDGE_TASK_SETTINGS},
            acceptance_tag=setting.acceptance_tag,
        ),
        config=config,
        viewer=samples_viewer(judges.judges, acceptance_tag=setting.acceptance_tag),
        metadata={
            "scenario": setting.name,
            **({"format": options.format} if options.format != "chat" else {}),
            "lab_name": lab,
            "reasoning": reasoning,
            "cue_style": options.cue_style,
            "after_scratchpad": options.after_scratchpad,
            **judges.metadata,
            "conditions": conditions,
            **({"variant": "+".join(variants)} if variants else {}),
            **({"paraphrases": paraphrases} if paraphrases else {}),
            **settings.as_metadata(),
            **({"system_prompt_source": prompts.provenance} if prompts.provenance else {}),
        },
        version=TASK_VERSION,
    )
