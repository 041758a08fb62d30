"""Re-score a log with `af_inspect.acceptance_tag` (`-S name=value` sets its arguments):
`inspect score --scorer scorers/acceptance_tag.py LOG`.
"""

from af_inspect.scoring.scorers import scorer_file as scorer  # named so Inspect's file loader finds it


@scorer
def acceptance_tag(): ...
