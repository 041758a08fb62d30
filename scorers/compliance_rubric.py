"""`inspect score --scorer scorers/compliance_rubric.py LOG --model-role grader=P/M`: re-grade a log without re-running it.

Compliance by the StrongREJECT-style rubric (Hughes et al. 2025). Arguments (`-S name=value`) are those of `af_inspect.scorers.compliance_rubric`.
"""

from inspect_ai.scorer import Scorer, scorer

from af_inspect.scoring.scorers import RUBRIC_METRICS
from af_inspect.scoring.scorers import compliance_rubric as compliance_rubric_scorer


@scorer(metrics=RUBRIC_METRICS)
def compliance_rubric(**judge_args) -> Scorer:
    """Compliance by the StrongREJECT-style rubric (Hughes et al. 2025): see `af_inspect.scorers.compliance_rubric`."""
    return compliance_rubric_scorer(**judge_args)
