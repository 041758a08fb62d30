"""Query sets: ours shipped with the package (checked against the manifest), public ones fetched, or a user's file."""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from af_inspect.data.jsonl import read_csv_rows, read_jsonl_objects
from af_inspect.data.remote_sources import REMOTE_SOURCES, load_remote_requests

DEFAULT_DATASET = "harmful_requests"
LOCAL_DATASETS = {
    "harmful_requests": "harmful_requests.jsonl",
    "animal_welfare_queries": "animal_welfare_queries.jsonl",
    "benign_requests": "benign_requests.jsonl",
}
"""Query sets written for this package, shipped in `datasets/` and listed in its manifest."""


@dataclass(frozen=True)
class Query:
    id: str
    text: str
    category: str | None
    dataset: str


def dataset_names() -> list[str]:
    """Every name `dataset=` accepts besides a file path."""
    return sorted(LOCAL_DATASETS) + sorted(REMOTE_SOURCES)


def datasets_dir() -> Path:
    """Our query sets: inside the installed wheel, or at the top of a source checkout."""
    packaged = Path(__file__).parents[1] / "datasets"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "datasets"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"the af-inspect query sets are missing: looked in {packaged} and {checkout}")


@cache
def manifest() -> dict[str, dict]:
    return json.loads((datasets_dir() / "manifest.json").read_text(encoding="utf-8"))


def load_queries(
    dataset: str = DEFAULT_DATASET, *, shuffle_seed: int | None = None, limit: int | None = None
) -> list[Query]:
    """Load a query set by name or path, optionally shuffled with a seed, then cut to `limit` queries."""
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ValueError(f"limit must be a positive whole number of queries, got {limit!r}")
    if dataset in LOCAL_DATASETS:
        queries = _local_queries(dataset)
    elif dataset in REMOTE_SOURCES:
        rows = load_remote_requests(REMOTE_SOURCES[dataset])
        width = max(3, len(str(len(rows))))
        queries = [Query(f"q{i:0{width}d}", text, category, dataset) for i, (text, category) in enumerate(rows, 1)]
    elif dataset.endswith((".jsonl", ".csv")):
        queries = _user_file_queries(Path(dataset))
    else:
        raise ValueError(
            f"unknown dataset '{dataset}'; valid: {', '.join(dataset_names())}, "
            "or a path to a .jsonl or .csv file with a 'request' column"
        )
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(queries)
    return queries[:limit] if limit is not None else queries


def shipped_jsonl(filename: str) -> list[dict]:
    """The rows of one of our shipped JSONL files, after checking its sha256 against the manifest."""
    path = datasets_dir() / filename
    data = path.read_bytes()
    expected = manifest()[filename]["sha256"]
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ValueError(f"{path} does not match its manifest (sha256 {actual}, expected {expected})")
    return [json.loads(line) for line in data.decode("utf-8").splitlines() if line.strip()]


def _local_queries(name: str) -> list[Query]:
    rows = shipped_jsonl(LOCAL_DATASETS[name])
    return [Query(row["id"], row["request"], row.get("category"), name) for row in rows]


def _user_file_queries(path: Path) -> list[Query]:
    """A user's own query file: JSONL objects or CSV rows with a `request` field (`id`, `category` optional)."""
    if path.suffix == ".jsonl":
        rows = [row for _, row in read_jsonl_objects(path, label="dataset file")]
    else:
        rows = [row for _, row in read_csv_rows(path, label="dataset file")]
    queries = []
    width = max(3, len(str(len(rows))))
    for number, row in enumerate(rows, 1):
        request = str(row.get("request") or "").strip() if isinstance(row, dict) else ""
        if not request:
            raise ValueError(f"{path} row {number} has no 'request' text")
        query_id = str(row.get("id") or f"q{number:0{width}d}")
        queries.append(Query(query_id, request, row.get("category"), path.stem))
    duplicates = sorted(query_id for query_id, n in Counter(q.id for q in queries).items() if n > 1)
    if duplicates:
        raise ValueError(f"{path} repeats query ids: {', '.join(duplicates[:5])}")
    if not queries:
        raise ValueError(f"{path} holds no queries")
    return queries
