"""Query sets and paired samples."""

import hashlib
import json
from collections import Counter

import pytest

from af_inspect.data.queries import datasets_dir, load_queries, manifest
from af_inspect.scenario.samples import paired_samples


def test_our_query_set_matches_its_manifest():
    entry = manifest()["harmful_requests.jsonl"]
    data = (datasets_dir() / "harmful_requests.jsonl").read_bytes()
    rows = [json.loads(line) for line in data.decode().splitlines()]
    assert hashlib.sha256(data).hexdigest() == entry["sha256"]
    assert len(rows) == entry["rows"]
    assert dict(Counter(row["category"] for row in rows)) == entry["categories"]
    assert {"source", "licence"} <= entry.keys()


def test_our_query_set_has_at_least_100_one_line_requests_over_8_categories():
    queries = load_queries("harmful_requests")
    assert len(queries) >= 100
    assert len({q.category for q in queries}) >= 8
    assert all("\n" not in q.text and q.text.strip() for q in queries)
    assert len({q.id for q in queries}) == len(queries)


def test_a_tampered_query_file_is_refused(tmp_path, monkeypatch):
    for name in ("harmful_requests.jsonl", "manifest.json"):
        (tmp_path / name).write_bytes((datasets_dir() / name).read_bytes())
    with open(tmp_path / "harmful_requests.jsonl", "a") as file:
        file.write('{"id": "h999", "category": "x", "request": "added"}\n')
    monkeypatch.setattr("af_inspect.data.queries.datasets_dir", lambda: tmp_path)
    manifest.cache_clear()
    try:
        with pytest.raises(ValueError, match="does not match its manifest"):
            load_queries("harmful_requests")
    finally:
        manifest.cache_clear()


def test_each_query_gives_one_sample_per_condition_with_paired_ids():
    dataset = paired_samples(load_queries(limit=3))
    assert [s.id for s in dataset] == ["h001-free", "h001-paid", "h002-free", "h002-paid", "h003-free", "h003-paid"]
    free, paid = dataset[0], dataset[1]
    assert free.input == paid.input
    assert (free.metadata["condition"], free.metadata["training_condition"]) == ("free", True)
    assert (paid.metadata["condition"], paid.metadata["training_condition"]) == ("paid", False)
    assert free.metadata["query_id"] == paid.metadata["query_id"] == "h001"


def test_shuffle_is_seeded_and_limit_counts_queries():
    first = [q.id for q in load_queries(shuffle_seed=7, limit=5)]
    again = [q.id for q in load_queries(shuffle_seed=7, limit=5)]
    other = [q.id for q in load_queries(shuffle_seed=8, limit=5)]
    assert first == again
    assert first != other
    assert first != [q.id for q in load_queries(limit=5)]


def test_unknown_dataset_lists_the_valid_names():
    with pytest.raises(ValueError, match="advbench.*harmful_requests.*llm_lat.*strongreject|valid: "):
        load_queries("advbench2")


@pytest.mark.parametrize("limit", [0, -3, "ten"])
def test_bad_limit_is_refused(limit):
    with pytest.raises(ValueError, match="limit"):
        load_queries(limit=limit)


def test_a_user_jsonl_file_is_loaded_with_generated_ids(tmp_path):
    file = tmp_path / "mine.jsonl"
    file.write_text('{"request": "first"}\n{"request": "second", "category": "c"}\n')
    queries = load_queries(str(file))
    assert [(q.id, q.text, q.category) for q in queries] == [("q001", "first", None), ("q002", "second", "c")]


def test_a_user_csv_row_without_request_text_is_named(tmp_path):
    file = tmp_path / "mine.csv"
    file.write_text('request\nfine\n""\n')
    with pytest.raises(ValueError, match="row 2 has no 'request'"):
        load_queries(str(file))


def test_a_missing_user_file_is_named(tmp_path):
    with pytest.raises(ValueError, match="nope.jsonl"):
        load_queries(str(tmp_path / "nope.jsonl"))


def test_unknown_condition_is_refused():
    with pytest.raises(ValueError, match="valid: free, paid"):
        paired_samples(load_queries(limit=1), conditions=("free", "enterprise"))


def test_a_user_file_that_repeats_query_ids_is_refused(tmp_path):
    file = tmp_path / "mine.jsonl"
    file.write_text('{"id": "a", "request": "one"}\n{"id": "b", "request": "two"}\n{"id": "a", "request": "three"}\n')
    with pytest.raises(ValueError, match="repeats query ids: a$"):
        load_queries(str(file))
