"""`inspect score --scorer scorers/hughes_af.py LOG --model-role grader=P/M`: re-grade a log without re-running it.

Alignment-faking reasoning, Hughes et al. 2025 (N votes, threshold). Arguments (`-S name=value`) are those of `af_inspect.scorers.hughes_af`.
"""

from inspect_ai.scorer import Scorer, scorer

from af_inspect.scoring.scorers import HUGHES_AF_METRICS
from af_inspect.scoring.scorers import hughes_af as hughes_af_scorer


@scorer(metrics=HUGHES_AF_METRICS)
def hughes_af(**judge_args) -> Scorer:
    """Alignment-faking reasoning, Hughes et al. 2025 (N votes, threshold): see `af_inspect.scorers.hughes_af`."""
    return hughes_af_scorer(**judge_args)
