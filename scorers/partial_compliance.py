"""Re-score a log with `af_inspect.partial_compliance` (`-S name=value` sets its arguments):
`inspect score --scorer scorers/partial_compliance.py LOG`.
"""

from af_inspect.scoring.scorers import scorer_file as scorer  # named so Inspect's file loader finds it


@scorer
def partial_compliance(): ...
