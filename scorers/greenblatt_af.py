"""Re-score a log with `af_inspect.greenblatt_af` (`-S name=value` sets its arguments):
`inspect score --scorer scorers/greenblatt_af.py LOG`.
"""

from af_inspect.scoring.scorers import scorer_file as scorer  # named so Inspect's file loader finds it


@scorer
def greenblatt_af(): ...
