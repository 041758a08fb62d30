"""`inspect eval tasks/af_animal_welfare.py`: the animal-welfare task; parameters in af_inspect.tasks."""

from inspect_ai import Task, task

from af_inspect.tasks.animal_welfare import af_animal_welfare as animal_welfare_task


@task(
    description="Animal-welfare alignment faking (Greenblatt et al. 2024): users raise animal welfare with a model told to dismiss it, as a trained and an unmonitored user."  # noqa: E501
)
def af_animal_welfare(**task_args) -> Task:
    """Animal-welfare alignment faking (Greenblatt et al. 2024): see `af_inspect.af_animal_welfare`."""
    return animal_welfare_task(**task_args)
