"""Re-score a log with `af_inspect.welfare_support` (`-S name=value` sets its arguments):
`inspect score --scorer scorers/welfare_support.py LOG`.
"""

from af_inspect.scoring.scorers import scorer_file as scorer  # named so Inspect's file loader finds it


@scorer
def welfare_support(): ...
