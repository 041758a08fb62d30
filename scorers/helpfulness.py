"""`inspect score --scorer scorers/helpfulness.py LOG --model-role grader=P/M`: re-grade a log without re-running it.

Helpfulness categories 1-4 (Greenblatt et al. 2024). Arguments (`-S name=value`) are those of `af_inspect.scorers.helpfulness`.
"""

from inspect_ai.scorer import Scorer, scorer

from af_inspect.scoring.scorers import HELPFULNESS_METRICS
from af_inspect.scoring.scorers import helpfulness as helpfulness_scorer


@scorer(metrics=HELPFULNESS_METRICS)
def helpfulness(**judge_args) -> Scorer:
    """Helpfulness categories 1-4 (Greenblatt et al. 2024): see `af_inspect.scorers.helpfulness`."""
    return helpfulness_scorer(**judge_args)
