"""af-inspect: Inspect AI evaluations that measure alignment faking."""

from af_inspect.data.queries import load_queries
from af_inspect.scenario.conditions import CONDITIONS, Condition, user_turn
from af_inspect.scenario.samples import paired_samples
from af_inspect.scenario.solvers import condition_cue, reasoning_loop, scenario_system_prompt
from af_inspect.scenario.transcript import ParsedTranscript, ParseOutcome, parse_transcript
from af_inspect.scoring.grader import DEFAULT_GRADER, resolve_grader
from af_inspect.scoring.judges import JUDGE_NAMES, JUDGES
from af_inspect.scoring.metrics import compliance_gap, condition_mean, rate, scored_counts
from af_inspect.scoring.scorers import (
    acceptance_tag,
    compliance_rubric,
    greenblatt_af,
    helpfulness,
    hughes_af,
    judge_scorer,
    partial_compliance,
    welfare_support,
)
from af_inspect.scoring.validation import agreement, load_labelled, validate_judge
from af_inspect.tasks.animal_welfare import af_animal_welfare
from af_inspect.tasks.base_model import af_base_model
from af_inspect.tasks.benign_helpfulness import af_benign_helpfulness
from af_inspect.tasks.helpful_only import af_helpful_only

__all__ = [
    "CONDITIONS",
    "DEFAULT_GRADER",
    "JUDGES",
    "JUDGE_NAMES",
    "Condition",
    "ParseOutcome",
    "ParsedTranscript",
    "acceptance_tag",
    "af_animal_welfare",
    "af_base_model",
    "af_benign_helpfulness",
    "af_helpful_only",
    "agreement",
    "compliance_gap",
    "compliance_rubric",
    "condition_cue",
    "condition_mean",
    "greenblatt_af",
    "helpfulness",
    "hughes_af",
    "judge_scorer",
    "load_labelled",
    "load_queries",
    "paired_samples",
    "parse_transcript",
    "partial_compliance",
    "rate",
    "reasoning_loop",
    "resolve_grader",
    "scenario_system_prompt",
    "scored_counts",
    "user_turn",
    "validate_judge",
    "welfare_support",
]
