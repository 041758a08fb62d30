"""Re-score a log with `af_inspect.hughes_af` (`-S name=value` sets its arguments):
`inspect score --scorer scorers/hughes_af.py LOG`.
"""

from af_inspect.scoring.scorers import scorer_file as scorer  # named so Inspect's file loader finds it


@scorer
def hughes_af(): ...
