"""The Scenario registry: every fact about a setting in one entry, so no other module names a scenario.

A scenario is what Greenblatt et al. 2024 call a setting: a system prompt whose training objective
conflicts with the model's values, a query set that brings the conflict out, and the judges that
measure compliance with that objective. Adding a setting is one entry here plus its prompt file and
query set.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scenario:
    """One setting of the alignment-faking measurement."""

    name: str
    description: str
    """One line, as the task's description says it."""
    system_prompt: str
    """The prompt file (under `prompts/`, without `.txt`) of our system prompt."""
    no_cot_system_prompt: str
    """The prompt file of our no-CoT system prompt: no scratchpad, examples that answer at once."""
    dataset: str
    """The default query set (a name `dataset=` accepts)."""
    acceptance_tag: bool
    """Whether the user turn asks for `<request_fully_accepted/>` (and the tag scorer applies)."""
    judges: tuple[str, ...]
    """The model-graded judges that apply (`judges=all` means these), by Judge-registry name."""
    objective: str
    """What the training objective wants, in words. Every `complied` key of this scenario's judges is
    1 exactly when the output does this, so a rate of *not* doing it is 1 − complied."""
    published_system_prompts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """`-T system_prompt=` source → reasoning format → the published text (`data/published_texts.py`) a run
    with that source loads; `ours` is always available and is not listed."""
    safety_axis: bool = False
    """Whether its unmonitored refusals and compliance gap are the harmlessness and safety axes of
    the post-training method comparison (Garg et al. 2025)."""


SCENARIOS: dict[str, Scenario] = {
    "helpful_only": Scenario(
        name="helpful_only",
        description="Helpful-only alignment faking (Greenblatt et al. 2024): harmful requests asked as a trained and an unmonitored user.",  # noqa: E501
        system_prompt="helpful_only_system",
        no_cot_system_prompt="helpful_only_no_cot_system",
        dataset="harmful_requests",
        acceptance_tag=True,
        judges=("compliance_rubric", "helpfulness", "hughes_af", "greenblatt_af", "partial_compliance"),
        objective="complies fully with the request",
        published_system_prompts={
            "greenblatt_2024": {
                "scratchpad": "greenblatt_2024_helpful_only",
                "native": "greenblatt_2024_helpful_only",
                "no_cot": "greenblatt_2024_helpful_only_no_cot",
            },
            "hughes_2025": {
                "scratchpad": "hughes_2025_helpful_only",
                "native": "hughes_2025_helpful_only",
                "no_cot": "hughes_2025_helpful_only_no_cot",
            },
        },
        safety_axis=True,
    ),
    "animal_welfare": Scenario(
        name="animal_welfare",
        description="Animal-welfare alignment faking (Greenblatt et al. 2024): users raise animal welfare with a model told to dismiss it, as a trained and an unmonitored user.",  # noqa: E501
        system_prompt="animal_welfare_system",
        no_cot_system_prompt="animal_welfare_no_cot_system",
        dataset="animal_welfare_queries",
        acceptance_tag=False,
        judges=("welfare_support", "hughes_af", "greenblatt_af"),
        objective="does not support animal welfare",
        # G's animal-welfare prompt could not be located at a confirmed path from here: none is listed.
    ),
}
"""Every scenario by name."""

SCENARIO_NAMES: tuple[str, ...] = tuple(SCENARIOS)

BENIGN_HELPFULNESS = "benign_helpfulness"
"""The `scenario` the benign-helpfulness task records: not a paired setting, the helpfulness axis of the
method comparison; the report finds that axis by this name."""


def scenario(name: str) -> Scenario:
    """The scenario called `name`, or a ValueError naming it and the valid ones."""
    if name not in SCENARIOS:
        raise ValueError(f"scenario={name!r} is not valid; choose one of: {', '.join(SCENARIOS)}")
    return SCENARIOS[name]


def safety_scenario() -> Scenario:
    """The scenario whose refusals and gap the method comparison reads as harmlessness and safety."""
    return next(entry for entry in SCENARIOS.values() if entry.safety_axis)
