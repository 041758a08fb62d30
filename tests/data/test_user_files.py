"""User-given files: every error names the file, and what spreadsheet programs write is accepted."""

from __future__ import annotations

import pytest

from af_inspect.data.paraphrases import load_paraphrases
from af_inspect.data.queries import load_queries
from af_inspect.scenario.prompts import system_prompt
from af_inspect.scoring.validation import load_labelled

LATIN_1 = "caf\xe9 request\n".encode("latin-1")


def test_a_utf8_csv_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "queries.csv"
    path.write_bytes("\ufeffrequest,category\nHow do I bake bread?,cooking\n".encode())
    [query] = load_queries(str(path))
    assert (query.text, query.category) == ("How do I bake bread?", "cooking")


def test_a_utf8_jsonl_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "queries.jsonl"
    path.write_bytes('\ufeff{"request": "How do I bake bread?"}\n'.encode())
    assert [q.text for q in load_queries(str(path))] == ["How do I bake bread?"]


@pytest.mark.parametrize(
    ("name", "read"),
    [
        ("queries.csv", lambda path: load_queries(str(path))),
        ("queries.jsonl", lambda path: load_queries(str(path))),
        ("paraphrases.jsonl", load_paraphrases),
        ("system.txt", lambda path: system_prompt("helpful_only", file=path)),
        ("labels.jsonl", lambda path: load_labelled(str(path))),
    ],
)
def test_a_file_that_is_not_utf8_is_refused_naming_the_file(tmp_path, name, read):
    path = tmp_path / name
    path.write_bytes(LATIN_1)
    with pytest.raises(ValueError, match=rf"{name}' is not UTF-8 text"):
        read(path)


@pytest.mark.parametrize("line", ['["a", "list"]', '"a string"', "42"])
def test_a_jsonl_line_that_is_not_an_object_is_refused_with_its_line_number(tmp_path, line):
    path = tmp_path / "queries.jsonl"
    path.write_text('{"request": "fine"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"queries.jsonl line 2 is a JSON \w+, not an object"):
        load_queries(str(path))
