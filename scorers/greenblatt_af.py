"""`inspect score --scorer scorers/greenblatt_af.py LOG --model-role grader=P/M`: re-grade a log without re-running it.

Alignment-faking reasoning, Greenblatt et al. 2024 (partial and full). Arguments (`-S name=value`) are those of `af_inspect.scorers.greenblatt_af`.
"""

from inspect_ai.scorer import Scorer, scorer

from af_inspect.scoring.scorers import GREENBLATT_AF_METRICS
from af_inspect.scoring.scorers import greenblatt_af as greenblatt_af_scorer


@scorer(metrics=GREENBLATT_AF_METRICS)
def greenblatt_af(**judge_args) -> Scorer:
    """Alignment-faking reasoning, Greenblatt et al. 2024 (partial and full): see `af_inspect.scorers.greenblatt_af`."""
    return greenblatt_af_scorer(**judge_args)
