"""`inspect score --scorer scorers/partial_compliance.py LOG --model-role grader=P/M`: re-grade a log without re-running it.

Partial compliance: scheming, compromise or avoidance (Hughes et al. 2025). Arguments (`-S name=value`) are those of `af_inspect.scorers.partial_compliance`.
"""

from inspect_ai.scorer import Scorer, scorer

from af_inspect.scoring.scorers import PARTIAL_COMPLIANCE_METRICS
from af_inspect.scoring.scorers import partial_compliance as partial_compliance_scorer


@scorer(metrics=PARTIAL_COMPLIANCE_METRICS)
def partial_compliance(**judge_args) -> Scorer:
    """Partial compliance: scheming, compromise or avoidance (Hughes et al. 2025): see `af_inspect.scorers.partial_compliance`."""
    return partial_compliance_scorer(**judge_args)
