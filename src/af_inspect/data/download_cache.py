"""Pinned downloads: fetched once, cached on disk, and verified by sha256 on every use.

Where a release could not pin a checksum, the first download is trusted and its checksum recorded in
a lock file, so that later silent changes are detected.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import posixpath
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
from datetime import datetime, timezone
from pathlib import Path

from af_inspect.data.pinned_source import Pinned, source_failure

CACHE_DIR_ENV = "AF_INSPECT_CACHE_DIR"
LOCK_FILE_NAME = "lock.json"

_CHUNK_SIZE = 1 << 16
_USER_AGENT = "af-inspect"
# Names and revisions become folder names, so they must not be able to escape the cache.
_SAFE_PATH_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class UnpinnedChecksumWarning(UserWarning):
    """A checksum was recorded on first use because the release did not pin one.

    A dedicated category lets users filter or escalate this warning.
    """


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


def fetch(source: Pinned, *, cache: Path | None = None, timeout: float = 60.0) -> Path:
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
            raise source_failure(
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


def _source_folder(source: Pinned, cache: Path | None) -> Path:
    """Return ``<cache>/<name>/<revision>``, refusing components that could escape it."""
    for label, value in (("name", source.name), ("revision", source.revision)):
        if not _SAFE_PATH_COMPONENT.match(value):
            raise source_failure(
                source,
                f"the {label} {value!r} cannot be used as a cache folder name.",
                "Use only letters, digits, '.', '_' and '-' in source names and revisions.",
            )
    root = cache if cache is not None else cache_dir()
    return Path(root) / source.name / source.revision


def _url_basename(source: Pinned) -> str:
    """Return the file name at the end of the source URL's path."""
    name = posixpath.basename(urllib.parse.unquote(urllib.parse.urlparse(source.url).path))
    if not name or name in {".", ".."} or "\\" in name:
        raise source_failure(
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
    source: Pinned,
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
        raise source_failure(
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
            raise source_failure(
                source,
                f"the file could not be downloaded ({_describe(exc)}).",
                "Check the network connection and retry. Without network access, download "
                f"the URL on another machine and place the file at {target}.",
            ) from exc
        if expected is not None and actual != expected:
            raise source_failure(
                source,
                f"sha256 mismatch: expected {expected}, got {actual}.",
                mismatch_remedy,
            )
        os.replace(temp_path, target)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    return actual


def _stream_to(source: Pinned, handle: int, timeout: float) -> str:
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


def _read_lock(source: Pinned, lock_path: Path) -> str | None:
    """Return the sha256 recorded on first use, or None if nothing was recorded yet."""
    if not lock_path.exists():
        return None
    remedy = f"Delete the folder {lock_path.parent} to re-download the file."
    try:
        data = json.loads(lock_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise source_failure(source, f"the checksum record {lock_path} is unreadable ({exc}).", remedy) from exc
    if not isinstance(data, dict) or not isinstance(data.get("sha256"), str):
        raise source_failure(source, f"the checksum record {lock_path} has no sha256 entry.", remedy)
    if data.get("url") != source.url:
        raise source_failure(
            source,
            f"the checksum record {lock_path} was made for a different URL ({data.get('url')}).",
            remedy,
        )
    return data["sha256"].strip().lower()


def _record_first_use(source: Pinned, target: Path, lock_path: Path, sha256: str) -> None:
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
        f"{source.label} ({source.url}): the sha256 checksum was not pinned in "
        f"this release of af-inspect. The file at {target} has sha256 {sha256}, which has been "
        f"recorded in {lock_path}; later runs will verify the cached file against it.",
        UnpinnedChecksumWarning,
        stacklevel=3,
    )
