"""The one reader of user-given text files: JSONL objects and CSV rows, with errors that name the file.

Query sets, paraphrases, labelled transcripts and post-training data are all read here, so every
file error has one shape: the file as the user named it, the line, and what is wrong. A UTF-8
byte-order mark (what spreadsheet programs write as "CSV UTF-8") is accepted.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any


def read_text_file(path: str | Path, *, label: str) -> str:
    """The whole file as text, decoded as UTF-8 (with or without a byte-order mark).

    Args:
        path: The file.
        label: How the message names it, e.g. `dataset file` or `paraphrase_file`.

    Raises:
        ValueError: the file cannot be read or is not UTF-8, naming `label` and the path.
    """
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as error:
        raise ValueError(f"{label} '{file}' cannot be read: {error.strerror or error}") from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"{label} '{file}' is not UTF-8 text (byte {error.start}: {error.reason})") from error


def parse_jsonl_objects(text: str, *, where: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line; each line must hold one JSON object.

    Raises:
        ValueError: a line that is not JSON or not an object, naming `where` and the line.
    """
    rows: list[tuple[int, dict[str, Any]]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{where} line {number} is not JSON: {error.msg}") from error
        if not isinstance(row, dict):
            raise ValueError(f"{where} line {number} is a JSON {type(row).__name__}, not an object with named fields")
        rows.append((number, row))
    return rows


def read_jsonl_objects(path: str | Path, *, label: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line of a JSONL file; see `parse_jsonl_objects`."""
    return parse_jsonl_objects(read_text_file(path, label=label), where=f"{label} {path}")


def read_csv_rows(path: str | Path, *, label: str) -> list[tuple[int, dict[str, Any]]]:
    """(row number, row) for every data row of a CSV file with a header line."""
    text = read_text_file(path, label=label)
    return list(enumerate(csv.DictReader(text.splitlines()), start=1))
