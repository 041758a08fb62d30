"""Which model grades: Inspect's `grader` role, resolved inside `score()`, never silently the subject.

Resolution order: a model bound with `--model-role grader=...` (or `model_roles` in `eval()`);
else the judge's `grader` argument (`-T grader=...` on the task, `-S grader=...` when re-scoring);
else `DEFAULT_GRADER`, the GPT-4o class of judge Hughes et al. 2025 used. When the grader is the
model under test, the console gets a warning and every score records `self_graded: true`.

`missing_grader` answers, while Inspect builds a task for a run, whether that run will have a grader
at all, so that a run without one can skip its judges and say so once, before any model is called.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

from inspect_ai.model import Model, get_model, model_roles

# Not re-exported by Inspect: the model of the run being set up, set before Inspect calls task functions.
from inspect_ai.model._model import (
    active_model,  # inspect-evals-lint: ignore[private_api_imports] -- whether Inspect is building the task for a run; no public API  # noqa: E501
)

logger = logging.getLogger(__name__)

GRADER_ROLE = "grader"
DEFAULT_GRADER = "openai/gpt-4o"
"""The judge model when no `grader` role is bound and no `grader` argument is given."""


@dataclass(frozen=True)
class Grader:
    """The resolved grader and how it was chosen, recorded in every judge score."""

    model: Model
    name: str
    source: str
    """`role` (bound with --model-role), `argument` (-T/-S grader=) or `default`."""
    self_graded: bool

    def as_metadata(self) -> dict[str, object]:
        return {"grader": self.name, "grader_source": self.source, "self_graded": self.self_graded}


class GraderUnavailable(RuntimeError):
    """The grader model could not be created (e.g. its API key is missing)."""


def resolve_grader(grader: str | Model | None = None) -> Grader:
    """Resolve the grader for the sample being scored. Call only inside `score()`.

    Raises:
        GraderUnavailable: the model could not be created; the message says how to bind another.
    """
    bound = model_roles().get(GRADER_ROLE) is not None
    source = "role" if bound else "argument" if grader else "default"
    try:
        # An unbound role falls back to `default`, never to the model under test.
        model = get_model(role=GRADER_ROLE, default=grader or DEFAULT_GRADER)
    except Exception as error:  # noqa: BLE001 - any failure to construct is reported the same way
        wanted = str(grader or DEFAULT_GRADER)
        raise GraderUnavailable(
            f"could not create the grader model '{wanted}': {_plain_text(error)}. Bind a grader with "
            f"--model-role grader=<provider/model> or pass grader=<provider/model>."
        ) from error
    name = str(model)
    self_graded = name == _model_under_test()
    if self_graded:
        _announce_self_grading(name)
    return Grader(model=model, name=name, source=source, self_graded=self_graded)


def missing_grader(grader: str | Model | None = None) -> str | None:
    """Why the run Inspect is building now has no grader (which one was wanted, and the error), or None.

    Inspect binds the run's model roles before it calls a task function, so a task built by `inspect
    eval` knows them. A task built before `eval()` is called (the Python API) cannot know the roles
    `eval()` will bind: this returns None, its judges run, and without a grader they are unscored
    with `grader_unavailable`.
    """
    if active_model() is None or model_roles().get(GRADER_ROLE) is not None or isinstance(grader, Model):
        return None
    wanted = grader or DEFAULT_GRADER
    try:
        get_model(wanted)
    except Exception as error:  # noqa: BLE001 - any failure to construct is reported the same way
        how = "the grader argument" if grader else "the default"
        return f"no grader role is bound, and '{wanted}' ({how}) cannot be used ({_plain_text(error)})"
    return None


def _plain_text(error: Exception) -> str:
    """An error message on one line, without the console markup Inspect's messages carry."""
    text = re.sub(r"\[/?(?:bold|blue|italic|red|yellow|green)\]", "", str(error)).removeprefix("ERROR: ")
    paragraphs = [" ".join(part.split()) for part in re.split(r"\n\s*\n", text) if part.strip()]
    return ": ".join(paragraphs).rstrip(".")


def _model_under_test() -> str | None:
    try:
        return str(get_model())
    except ValueError:  # no active model, e.g. a judge called outside an eval
        return None


@functools.cache
def _announce_self_grading(name: str) -> None:
    """Warn once per process and grader: a model judging its own transcripts is a weak measurement."""
    logger.warning(
        "af-inspect: the grader is the model under test (%s): it is grading its own transcripts. "
        "Bind an independent judge with --model-role grader=<provider/model>; every score records "
        "self_graded=true.",
        name,
    )
