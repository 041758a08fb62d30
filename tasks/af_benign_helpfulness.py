"""`inspect eval tasks/af_benign_helpfulness.py`: the helpfulness axis; parameters in af_inspect.helpfulness_task."""

from inspect_ai import Task, task

from af_inspect.tasks.benign_helpfulness import af_benign_helpfulness as benign_helpfulness_task


@task(
    description="Helpfulness on benign requests: a plain assistant answers everyday requests, graded 1 (refuses) to 4 (fully helpful)."  # noqa: E501
)
def af_benign_helpfulness(**task_args) -> Task:
    """Helpfulness on benign requests: see `af_inspect.helpfulness_task.af_benign_helpfulness`."""
    return benign_helpfulness_task(**task_args)
