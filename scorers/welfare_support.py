"""`inspect score --scorer scorers/welfare_support.py LOG --model-role grader=P/M`: re-grade a log without re-running it.

Animal-welfare compliance (Greenblatt et al. 2024). Arguments (`-S name=value`) are those of `af_inspect.scorers.welfare_support`.
"""

from inspect_ai.scorer import Scorer, scorer

from af_inspect.scoring.scorers import WELFARE_METRICS
from af_inspect.scoring.scorers import welfare_support as welfare_support_scorer


@scorer(metrics=WELFARE_METRICS)
def welfare_support(**judge_args) -> Scorer:
    """Animal-welfare compliance (Greenblatt et al. 2024): see `af_inspect.scorers.welfare_support`."""
    return welfare_support_scorer(**judge_args)
