"""Reading a fetched request set as a table (csv or parquet), then checking its columns, rows and texts."""

from __future__ import annotations

import importlib
import math
from pathlib import Path

import pandas as pd

from af_inspect.data.download_cache import fetch
from af_inspect.data.pinned_source import RemoteSource, source_failure


def load_remote_requests(source: RemoteSource, *, cache: Path | None = None) -> list[tuple[str, str | None]]:
    """Fetch a source and return its requests with their categories, in file order.

    The structural checks catch an upstream format change before it can turn
    into a silently different evaluation.

    Args:
        source: The source to load.
        cache: Cache root; defaults to :func:`cache_dir`.

    Returns:
        ``(request text, category or None)`` pairs with surrounding whitespace stripped.

    Raises:
        RemoteDatasetError: Fetching failed, the file cannot be parsed, a column
            is missing, the row count is wrong or a request text is empty.
    """
    if source.file_format == "parquet":
        # Fail before downloading anything if the file could not be read anyway.
        _require_pyarrow(source)
    path = fetch(source, cache=cache)
    frame = _read_table(source, path)

    found = [str(column) for column in frame.columns]
    required = list(dict.fromkeys((*source.expected_columns, source.text_column)))
    if source.category_column is not None and source.category_column not in required:
        required.append(source.category_column)
    missing = [column for column in required if column not in found]
    if missing:
        raise source_failure(
            source,
            f"the file {path} is missing the column(s) {missing}; found columns {found}.",
            f"The upstream format may have changed; delete the folder {path.parent} to "
            "re-download the file, and if the problem persists report it to the af-inspect "
            "maintainers.",
        )

    if source.expected_rows is not None and len(frame) != source.expected_rows:
        raise source_failure(
            source,
            f"the file {path} has {len(frame)} rows, but {source.expected_rows} were expected.",
            f"The upstream file may have changed; delete the folder {path.parent} to "
            "re-download it, and if the problem persists report it to the af-inspect "
            "maintainers.",
        )

    texts = frame[source.text_column].tolist()
    if source.category_column is not None:
        categories: list[object] = frame[source.category_column].tolist()
    else:
        categories = [None] * len(texts)

    requests: list[tuple[str, str | None]] = []
    for row_number, (raw_text, raw_category) in enumerate(zip(texts, categories), start=1):
        text = _cell_text(raw_text)
        if not text:
            raise source_failure(
                source,
                f"row {row_number} of {path} (counting data rows from 1, header excluded) "
                f"has an empty request text in column '{source.text_column}'.",
                f"The file is damaged or the upstream format has changed; delete the folder "
                f"{path.parent} to re-download it, and if the problem persists report it to "
                "the af-inspect maintainers.",
            )
        category = _cell_text(raw_category) or None
        requests.append((text, category))
    return requests


def _require_pyarrow(source: RemoteSource) -> None:
    """Raise a helpful error if pyarrow, needed to read parquet files, is missing."""
    try:
        importlib.import_module("pyarrow")
    except ImportError as exc:
        raise source_failure(
            source,
            "reading this parquet file needs the optional dependency pyarrow, which is not installed.",
            "Run `pip install pyarrow` and retry.",
        ) from exc


def _read_table(source: RemoteSource, path: Path) -> pd.DataFrame:
    """Parse the cached file into a DataFrame, wrapping parser errors."""
    try:
        if source.file_format == "csv":
            return pd.read_csv(path, dtype=str, keep_default_na=False)
        if source.file_format == "parquet":
            return pd.read_parquet(path, engine="pyarrow")
    except ImportError as exc:
        raise source_failure(
            source,
            f"reading {path} needs the optional dependency pyarrow ({exc}).",
            "Run `pip install pyarrow` and retry.",
        ) from exc
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise source_failure(
            source,
            f"the file {path} could not be parsed as {source.file_format} ({exc}).",
            f"Delete the folder {path.parent} to re-download the file.",
        ) from exc
    raise source_failure(
        source,
        f"the file format {source.file_format!r} is not supported.",
        "Use 'csv' or 'parquet'.",
    )


def _cell_text(value: object) -> str:
    """Return a table cell as stripped text, treating missing values as empty."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value).strip()
