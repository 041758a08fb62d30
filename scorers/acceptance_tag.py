"""`inspect score --scorer scorers/acceptance_tag.py LOG`: re-score a log with the acceptance-tag metric."""

from inspect_ai.scorer import Scorer, scorer

from af_inspect.scoring.scorers import ACCEPTANCE_METRICS
from af_inspect.scoring.scorers import acceptance_tag as acceptance_tag_scorer


@scorer(metrics=ACCEPTANCE_METRICS)
def acceptance_tag(reasoning: str = "scratchpad") -> Scorer:
    """Greenblatt et al.'s minimal-reproduction compliance: see `af_inspect.scorers.acceptance_tag`."""
    return acceptance_tag_scorer(reasoning=reasoning)
