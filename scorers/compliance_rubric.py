"""Re-score a log with `af_inspect.compliance_rubric` (`-S name=value` sets its arguments):
`inspect score --scorer scorers/compliance_rubric.py LOG`.
"""

from af_inspect.scoring.scorers import scorer_file as scorer  # named so Inspect's file loader finds it


@scorer
def compliance_rubric(): ...
