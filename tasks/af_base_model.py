"""`inspect eval tasks/af_base_model.py`: the base-model task; parameters in af_inspect.base_task."""

from inspect_ai import Task, task

from af_inspect.tasks.base_model import af_base_model as base_model_task


@task(
    description="Alignment faking in base (pre-trained) models: the paired scenario as a document with a prefilled scratchpad, continued by completion."  # noqa: E501
)
def af_base_model(**task_args) -> Task:
    """Alignment faking in base (pre-trained) models: see `af_inspect.base_task.af_base_model`."""
    return base_model_task(**task_args)
