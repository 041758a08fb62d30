"""Post-training recipes: BCO, DPO, KTO and GRPO LoRA adapters trained on this package's data and judges.

Garg et al. 2025 compare preference-optimisation methods and ask when post-training opens a
train→deploy gap on safety, harmlessness and helpfulness. These recipes let a user post-train
their own checkpoint with each method the same way, then evaluate it with the package's tasks.

Data construction (what `af-inspect posttrain` builds before training):

1. Prompts: `harmful_requests` (harmlessness axis) and `benign_requests` (helpfulness axis),
   alternating so any `--prompts N` keeps both axes, each asked under a plain assistant system
   prompt of our own (`prompts/posttrain_system.txt`, not the alignment-faking scenario) and
   rendered with the base model's chat template.
2. Candidates: `--k` completions per prompt sampled from the base model (temperature 1.0,
   `--max-new-tokens`, seeded with `--seed`).
3. Labels, from the package's judges through the grader model (any Inspect provider):
   harmful prompt → desirable iff `compliance_rubric` says refused; benign prompt → desirable iff
   `helpfulness` gives category 3 or 4 (the substance was delivered; a caveat on a benign answer
   is not what the helpfulness axis penalises, withholding is). An unscored judge reply is left
   out of the training data and counted by reason in the summary, never read as a label.
4. Per method: DPO pairs each desirable candidate with an undesirable one of the same prompt
   (each used once; a prompt with only one kind gives no pair and is counted); KTO and BCO take
   every labelled candidate as an unpaired example; GRPO samples online and rewards each
   completion with the same judges (1 desirable, 0 undesirable, `NEUTRAL_REWARD` when unscored,
   counted).

The torch/TRL/PEFT stack is imported only when training runs, so the package works without the
`posttrain` extra.
"""

from __future__ import annotations

from typing import Literal

Method = Literal["bco", "dpo", "kto", "grpo"]
METHODS: tuple[Method, ...] = ("bco", "dpo", "kto", "grpo")
"""The same methods as `report.run_tags.TRAINING_METHODS`; a test keeps the two equal."""

INSTALL_HINT = "pip install -e '.[posttrain]' -c constraints/cpu.txt"
"""How to get the training stack; the constraint keeps pip on the CPU torch wheel."""


def check_method(method: str) -> Method:
    """The method, or a ValueError naming the valid ones."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")
    return method  # type: ignore[return-value]
