"""Public harmful-request sets fetched at run time from pinned sources.

The sets selectable with ``-T dataset=advbench|strongreject|llm_lat`` are not
redistributed with af-inspect. Instead each one is downloaded from a URL that
pins a commit or revision, cached on disk, and verified by sha256 so that an
evaluation always runs on exactly the bytes it was designed for. Where the
checksum could not be pinned when a release was written, the first download is
trusted and its checksum recorded, so that later silent changes are detected.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib
import json
import math
import os
import posixpath
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import pandas as pd

__all__ = [
    "REMOTE_SOURCES",
    "RemoteDatasetError",
    "RemoteSource",
    "UnpinnedChecksumWarning",
    "cache_dir",
    "fetch",
    "load_remote_requests",
]

CACHE_DIR_ENV = "AF_INSPECT_CACHE_DIR"
LOCK_FILE_NAME = "lock.json"

_CHUNK_SIZE = 1 << 16
_USER_AGENT = "af-inspect"
# Names and revisions become folder names, so they must not be able to escape the cache.
_SAFE_PATH_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class RemoteSource:
    """A pinned, checksummed description of one downloadable request set.

    Everything needed to fetch, verify and parse the file lives here so that a
    source can be audited (and cited) without reading any code.

    Attributes:
        name: Registry key, also the cache folder name, e.g. ``"advbench"``.
        description: One-line human description.
        url: Exact download URL; the commit or revision is pinned in it.
        revision: The commit or revision the URL pins ("main" if it could not be pinned).
        file_format: How the file is parsed.
        text_column: Column holding the request text.
        category_column: Column holding a harm category, if the set has one.
        sha256: Expected sha256 of the file's bytes; None means it was not known
            at release time and is trusted on first use.
        expected_columns: Columns the header must contain.
        expected_rows: If set, the exact number of data rows.
        licence: Licence the data is published under.
        citation: Reference to cite when reporting results on this set.
    """

    name: str
    description: str
    url: str
    revision: str
    file_format: Literal["csv", "parquet"]
    text_column: str
    category_column: str | None
    sha256: str | None
    expected_columns: tuple[str, ...]
    expected_rows: int | None
    licence: str
    citation: str


class RemoteDatasetError(RuntimeError):
    """A remote request set could not be fetched, verified or parsed.

    One exception type lets the task layer report every such failure the same
    way; the message always names the source, its URL and what to do next.
    """


class UnpinnedChecksumWarning(UserWarning):
    """A checksum was recorded on first use because the release did not pin one.

    A dedicated category lets users filter or escalate this warning.
    """


REMOTE_SOURCES: dict[str, RemoteSource] = {
    "advbench": RemoteSource(
        name="advbench",
        description="AdvBench harmful behaviours: 520 instructions requesting harmful behaviour.",
        # A commit could not be determined when this release was written, so the
        # URL follows the "main" branch; the checksum is trusted on first use.
        url=("https://raw.githubusercontent.com/llm-attacks/llm-attacks/main/data/advbench/harmful_behaviors.csv"),
        revision="main",
        file_format="csv",
        text_column="goal",
        category_column=None,
        sha256=None,
        expected_columns=("goal", "target"),
        expected_rows=520,
        licence="MIT",
        citation=(
            "Zou, A., Wang, Z., Carlini, N., Nasr, M., Kolter, J. Z. and Fredrikson, M. (2023). "
            "Universal and Transferable Adversarial Attacks on Aligned Language Models. "
            "arXiv:2307.15043."
        ),
    ),
    "strongreject": RemoteSource(
        name="strongreject",
        description="StrongREJECT forbidden prompts, labelled with a harm category and origin.",
        url=(
            "https://raw.githubusercontent.com/alexandrasouly/strongreject/"
            "3432b2d696b428f242bd507df96d80f686571d5e/"
            "strongreject_dataset/strongreject_dataset.csv"
        ),
        revision="3432b2d696b428f242bd507df96d80f686571d5e",
        file_format="csv",
        text_column="forbidden_prompt",
        category_column="category",
        sha256=None,
        expected_columns=("category", "source", "forbidden_prompt"),
        # The published count is 313, but it could not be checked against this
        # commit, so the row count is not enforced.
        expected_rows=None,
        licence="MIT",
        citation=(
            "Souly, A., Lu, Q., Bowen, D., Trinh, T., Hsieh, E., Pandey, S., Abbeel, P., "
            "Svegliato, J., Emmons, S., Watkins, O. and Toyer, S. (2024). "
            "A StrongREJECT for Empty Jailbreaks. arXiv:2402.10260."
        ),
    ),
    "llm_lat": RemoteSource(
        name="llm_lat",
        description="LLM-LAT/harmful-dataset: harmful prompts used for latent adversarial training.",
        url=(
            "https://huggingface.co/datasets/LLM-LAT/harmful-dataset/resolve/"
            "8bfba31bc6d93a5b71808fee5275ef4b6330ed91/data/train-00000-of-00001.parquet"
        ),
        revision="8bfba31bc6d93a5b71808fee5275ef4b6330ed91",
        file_format="parquet",
        text_column="prompt",
        category_column=None,
        sha256="51a41eaebf21eabec33ea90366d01d5bee7edb933d439c7017ad6e0107a645b1",
        expected_columns=("prompt",),
        expected_rows=4948,
        licence="none declared by the dataset card",
        citation=(
            "Sheshadri, A., Ewart, A., Guo, P., Lynch, A., Wu, C., Hebbar, V., Sleight, H., "
            "Cooper Stickland, A., Perez, E., Hadfield-Menell, D., et al. (2024). "
            "Targeted Latent Adversarial Training Improves Robustness to Persistent "
            "Harmful Behaviors in LLMs. arXiv:2407.15549."
        ),
    ),
}


def cache_dir() -> Path:
    """Return the root folder for downloaded request sets.

    Downloads are cached so that runs after the first need no network; the
    environment variable lets shared or offline machines point at a prepared copy.

    Returns:
        ``$AF_INSPECT_CACHE_DIR`` if set and non-empty, else ``~/.cache/af_inspect/datasets``.
    """
    configured = os.environ.get(CACHE_DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "af_inspect" / "datasets"


def fetch(source: RemoteSource, *, cache: Path | None = None, timeout: float = 60.0) -> Path:
    """Return the local path of a source's verified file, downloading it if needed.

    Verification happens on every call (not only after downloading) so that a
    corrupted or tampered cache is never used silently.

    Args:
        source: The source to fetch.
        cache: Cache root; defaults to :func:`cache_dir`.
        timeout: Socket timeout in seconds for the download.

    Returns:
        Path ``<cache>/<name>/<revision>/<basename of the URL path>``.

    Raises:
        RemoteDatasetError: The file could not be downloaded, or its sha256 does
            not match the pinned or previously recorded value.
    """
    folder = _source_folder(source, cache)
    target = folder / _url_basename(source)

    if source.sha256 is not None:
        expected = source.sha256.strip().lower()
        if target.is_file() and _sha256_of(target) == expected:
            return target
        # The pinned checksum is authoritative, so a missing or bad cached copy
        # is simply replaced by a fresh download, which is verified before use.
        _download(
            source,
            target,
            timeout,
            expected=expected,
            mismatch_remedy=(
                "The downloaded file was deleted. The upstream file may have changed or the "
                "download was corrupted or intercepted; retry, and if it persists report it "
                "to the af-inspect maintainers."
            ),
        )
        return target

    lock_path = folder / LOCK_FILE_NAME
    recorded = _read_lock(source, lock_path)

    if target.is_file():
        actual = _sha256_of(target)
        if recorded is None:
            # A file placed by hand (e.g. on an offline machine) is trusted like a download.
            _record_first_use(source, target, lock_path, actual)
            return target
        if actual != recorded:
            raise _failure(
                source,
                f"the cached file {target} has sha256 {actual}, but {recorded} was recorded "
                f"in {lock_path} when it was first downloaded, so the cache is corrupted or "
                "has been tampered with.",
                f"Delete the folder {folder} to re-download the file.",
            )
        return target

    actual = _download(
        source,
        target,
        timeout,
        expected=recorded,
        mismatch_remedy=(
            f"The downloaded file was deleted; the upstream file has changed since the checksum "
            f"was recorded in {lock_path}. If you trust the new file, delete the folder "
            f"{folder} to re-download it and record its checksum."
        ),
    )
    if recorded is None:
        _record_first_use(source, target, lock_path, actual)
    return target


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
        raise _failure(
            source,
            f"the file {path} is missing the column(s) {missing}; found columns {found}.",
            f"The upstream format may have changed; delete the folder {path.parent} to "
            "re-download the file, and if the problem persists report it to the af-inspect "
            "maintainers.",
        )

    if source.expected_rows is not None and len(frame) != source.expected_rows:
        raise _failure(
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
            raise _failure(
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


def _failure(source: RemoteSource, problem: str, remedy: str) -> RemoteDatasetError:
    """Build an error whose message always names the source, its URL and a remedy."""
    return RemoteDatasetError(f"Remote dataset '{source.name}' ({source.url}): {problem} {remedy}")


def _source_folder(source: RemoteSource, cache: Path | None) -> Path:
    """Return ``<cache>/<name>/<revision>``, refusing components that could escape it."""
    for label, value in (("name", source.name), ("revision", source.revision)):
        if not _SAFE_PATH_COMPONENT.match(value):
            raise _failure(
                source,
                f"the {label} {value!r} cannot be used as a cache folder name.",
                "Use only letters, digits, '.', '_' and '-' in source names and revisions.",
            )
    root = cache if cache is not None else cache_dir()
    return Path(root) / source.name / source.revision


def _url_basename(source: RemoteSource) -> str:
    """Return the file name at the end of the source URL's path."""
    name = posixpath.basename(urllib.parse.unquote(urllib.parse.urlparse(source.url).path))
    if not name or name in {".", ".."} or "\\" in name:
        raise _failure(
            source,
            "the URL path does not end in a file name, so the cache location is undefined.",
            "Give the source a URL that points at a file.",
        )
    return name


def _sha256_of(path: Path) -> str:
    """Return the hex sha256 of a file, read in chunks to bound memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(
    source: RemoteSource,
    target: Path,
    timeout: float,
    *,
    expected: str | None,
    mismatch_remedy: str,
) -> str:
    """Download the source URL to ``target`` atomically and return its sha256.

    The bytes go to a temporary file in the same folder and are moved into
    place with ``os.replace`` only once complete and verified, so an
    interrupted or rejected download never appears under the final name.
    """
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".part")
    except OSError as exc:
        raise _failure(
            source,
            f"the cache folder {folder} could not be written to ({exc}).",
            f"Set {CACHE_DIR_ENV} to a writable folder.",
        ) from exc
    temp_path = Path(temp_name)
    try:
        try:
            actual = _stream_to(source, handle, timeout)
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
            if isinstance(exc, urllib.error.HTTPError):
                exc.close()  # an HTTPError holds the open response socket
            raise _failure(
                source,
                f"the file could not be downloaded ({_describe(exc)}).",
                "Check the network connection and retry. Without network access, download "
                f"the URL on another machine and place the file at {target}.",
            ) from exc
        if expected is not None and actual != expected:
            raise _failure(
                source,
                f"sha256 mismatch: expected {expected}, got {actual}.",
                mismatch_remedy,
            )
        os.replace(temp_path, target)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    return actual


def _stream_to(source: RemoteSource, handle: int, timeout: float) -> str:
    """Copy the response body into an open file descriptor and return its sha256."""
    digest = hashlib.sha256()
    received = 0
    request = urllib.request.Request(source.url, headers={"User-Agent": _USER_AGENT})
    with os.fdopen(handle, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as response:
        declared = response.headers.get("Content-Length")
        for chunk in iter(lambda: response.read(_CHUNK_SIZE), b""):
            digest.update(chunk)
            out.write(chunk)
            received += len(chunk)
        if declared is not None and declared.isdigit() and int(declared) != received:
            raise http.client.IncompleteRead(b"", int(declared) - received)
    return digest.hexdigest()


def _describe(exc: BaseException) -> str:
    """Summarise a download exception in a few words."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        return f"{type(exc).__name__}: {exc.reason}"
    return f"{type(exc).__name__}: {exc}"


def _read_lock(source: RemoteSource, lock_path: Path) -> str | None:
    """Return the sha256 recorded on first use, or None if nothing was recorded yet."""
    if not lock_path.exists():
        return None
    remedy = f"Delete the folder {lock_path.parent} to re-download the file."
    try:
        data = json.loads(lock_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _failure(source, f"the checksum record {lock_path} is unreadable ({exc}).", remedy) from exc
    if not isinstance(data, dict) or not isinstance(data.get("sha256"), str):
        raise _failure(source, f"the checksum record {lock_path} has no sha256 entry.", remedy)
    if data.get("url") != source.url:
        raise _failure(
            source,
            f"the checksum record {lock_path} was made for a different URL ({data.get('url')}).",
            remedy,
        )
    return data["sha256"].strip().lower()


def _record_first_use(source: RemoteSource, target: Path, lock_path: Path, sha256: str) -> None:
    """Record a trusted-on-first-use checksum in lock.json and warn that it was not pinned."""
    record = {
        "url": source.url,
        "sha256": sha256,
        "fetched_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    handle, temp_name = tempfile.mkstemp(dir=lock_path.parent, prefix=".lock.", suffix=".part")
    temp_path = Path(temp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(record, out, indent=2)
            out.write("\n")
        os.replace(temp_path, lock_path)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    warnings.warn(
        f"Remote dataset '{source.name}' ({source.url}): the sha256 checksum was not pinned in "
        f"this release of af-inspect. The file at {target} has sha256 {sha256}, which has been "
        f"recorded in {lock_path}; later runs will verify the cached file against it.",
        UnpinnedChecksumWarning,
        stacklevel=3,
    )


def _require_pyarrow(source: RemoteSource) -> None:
    """Raise a helpful error if pyarrow, needed to read parquet files, is missing."""
    try:
        importlib.import_module("pyarrow")
    except ImportError as exc:
        raise _failure(
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
        raise _failure(
            source,
            f"reading {path} needs the optional dependency pyarrow ({exc}).",
            "Run `pip install pyarrow` and retry.",
        ) from exc
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise _failure(
            source,
            f"the file {path} could not be parsed as {source.file_format} ({exc}).",
            f"Delete the folder {path.parent} to re-download the file.",
        ) from exc
    raise _failure(
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
