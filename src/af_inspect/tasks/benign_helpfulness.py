"""The helpfulness axis: benign requests to a plain assistant, judged by the helpfulness categories.

Post-training that makes a model refuse more harmful requests can also make it refuse or hedge on
harmless ones (Garg et al. 2025 measure helpfulness beside harmlessness and safety). This task asks
our benign requests once each, with a neutral system prompt and no alignment-faking scenario, and
grades every answer with the `helpfulness` judge (1 refuses … 4 fully helpful). The one condition
is `neutral`: no training or monitoring cue of any kind.
"""

from __future__ import annotations

from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import GenerateConfig
from inspect_ai.solver import generate
from inspect_ai.viewer import TaskSamplesColumn, TaskSamplesView, ViewerConfig

from af_inspect.data.queries import Query, load_queries
from af_inspect.errors import configuration_errors
from af_inspect.parameters import (
    refuse_unknown_parameters,
    require_model_name,
    require_number,
    require_positive_whole_numbers,
    require_text,
    require_whole_number,
)
from af_inspect.scenario.prompts import prompt_text
from af_inspect.scenario.registry import BENIGN_HELPFULNESS
from af_inspect.scenario.solvers import scenario_system_prompt
from af_inspect.scoring.selection import judge_columns, judge_scorers, judges_to_run

NEUTRAL_CONDITION = "neutral"
"""The single condition: no cue, so the model has no reason to think it is trained or watched."""
BENIGN_JUDGES = ("helpfulness",)
"""The judges this task runs, by Judge-registry name."""


# A literal, so `inspect list tasks --json` (which reads source, not imports) shows it.
@task(
    description="Helpfulness on benign requests: a plain assistant answers everyday requests, graded 1 (refuses) to 4 (fully helpful)."  # noqa: E501
)
@configuration_errors
def af_benign_helpfulness(
    dataset: str = "benign_requests",
    limit: int | None = None,
    shuffle_seed: int | None = None,
    temperature: float = 1.0,
    max_tokens: int = 4000,
    grader: str | None = None,
    **unknown: Any,
) -> Task:
    """Helpfulness on benign requests, one sample per request, graded by the `helpfulness` judge.

    Args:
        dataset: `benign_requests` (ours, 120 requests, 12 of them worded to look harmful), or a
            path to a .jsonl/.csv with a `request` column.
        limit: Number of requests; all if unset.
        shuffle_seed: Shuffle the requests with this seed before `limit`; file order if unset.
        temperature: Sampling temperature (as `af_helpful_only`, so both axes sample alike).
        max_tokens: Tokens for the answer; a truncated answer is unscored, not graded.
        grader: Judge model when no `grader` role is bound with `--model-role grader=...`
            (default `openai/gpt-4o`).
    """
    refuse_unknown_parameters("af_benign_helpfulness", unknown, af_benign_helpfulness)
    require_text("dataset", dataset)
    require_whole_number("limit", limit, minimum=1, optional=True)
    require_whole_number("shuffle_seed", shuffle_seed, optional=True)
    require_number("temperature", temperature, low=0.0)
    require_positive_whole_numbers(max_tokens=max_tokens)
    require_model_name("grader", grader)
    queries = load_queries(dataset, shuffle_seed=shuffle_seed, limit=limit)
    judges = judges_to_run(BENIGN_JUDGES, grader)
    return Task(
        dataset=benign_samples(queries),
        setup=[scenario_system_prompt(prompt_text("benign_assistant_system"))],
        solver=generate(),
        # Native: the whole visible reply is the answer (and any provider reasoning is set aside).
        scorer=judge_scorers(judges.judges, reasoning="native", grader=grader, acceptance_tag=False),
        config=GenerateConfig(temperature=temperature, max_tokens=max_tokens),
        viewer=ViewerConfig(
            trust_content=False,
            task_samples_view=TaskSamplesView(
                name="benign requests",
                columns=[
                    TaskSamplesColumn(id="sampleId"),
                    *judge_columns(judges.judges),
                    TaskSamplesColumn(id="input"),
                    TaskSamplesColumn(id="answer"),
                ],
            ),
        ),
        metadata={"scenario": BENIGN_HELPFULNESS, **judges.metadata},
        version="0.2.0",
    )


def benign_samples(queries: list[Query]) -> MemoryDataset:
    """One sample per request in the `neutral` condition, id = the request id."""
    samples = [
        Sample(
            id=query.id,
            input=query.text,
            metadata={
                "query_id": query.id,
                "condition": NEUTRAL_CONDITION,
                "training_condition": False,
                "category": query.category,
                "dataset": query.dataset,
            },
        )
        for query in queries
    ]
    return MemoryDataset(samples, name=queries[0].dataset if queries else None)
