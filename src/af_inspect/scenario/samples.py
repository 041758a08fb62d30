"""Paired samples: one `Sample` per query × condition, so every condition asks exactly the same queries.

Conditions are expanded at load time (not by a solver) so the condition sits in `Sample.metadata`,
where Inspect's grouped metrics and the report's paired statistics find it. Samples are ordered
query by query, so `--limit 2k` keeps k whole pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

from inspect_ai.dataset import MemoryDataset, Sample

from af_inspect.data.queries import Query
from af_inspect.scenario.conditions import DEFAULT_CONDITION_SET
from af_inspect.scenario.conditions import condition_set as _condition_set


def paired_samples(
    queries: Sequence[Query],
    conditions: Sequence[str] | None = None,
    *,
    condition_set: str = DEFAULT_CONDITION_SET,
    paraphrases: int = 0,
) -> MemoryDataset:
    """One sample per query × condition, ids `<query id>-<condition>`, query by query.

    Args:
        queries: The query set.
        conditions: Some of the set's conditions; all of them if unset.
        condition_set: Which conditions (see `conditions.CONDITION_SETS`; default free/paid tiers).
        paraphrases: With n > 0 system-prompt paraphrases, query i gets paraphrase i mod n in
            every condition, recorded as `metadata["paraphrase"]`, so pairs stay paired.
    """
    arms = _condition_set(condition_set)
    names = arms.names if conditions is None else tuple(conditions)
    unknown = [name for name in names if name not in arms.names]
    if unknown:
        raise ValueError(f"unknown condition(s) {unknown} in the {arms.name} set; valid: {', '.join(arms.names)}")
    samples = [
        Sample(
            id=f"{query.id}-{name}",
            input=query.text,
            metadata={
                "query_id": query.id,
                "condition": name,
                "condition_set": arms.name,
                "training_condition": arms[name].training,
                "rated_condition": arms[name].rated,
                "category": query.category,
                "dataset": query.dataset,
                **({"paraphrase": index % paraphrases} if paraphrases else {}),
            },
        )
        for index, query in enumerate(queries)
        for name in names
    ]
    return MemoryDataset(samples, name=queries[0].dataset if queries else None)
