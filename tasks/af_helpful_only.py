"""`inspect eval tasks/af_helpful_only.py`: the helpful-only task; parameters in af_inspect.tasks."""

from inspect_ai import Task, task

from af_inspect.tasks.helpful_only import af_helpful_only as helpful_only_task


@task(
    description="Helpful-only alignment faking (Greenblatt et al. 2024): harmful requests asked as a trained and an unmonitored user."  # noqa: E501
)
def af_helpful_only(**task_args) -> Task:
    """Helpful-only alignment faking (Greenblatt et al. 2024): see `af_inspect.af_helpful_only`."""
    return helpful_only_task(**task_args)
