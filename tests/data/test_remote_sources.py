"""Specification of fetching, caching and verifying remote request sets.

Every test is offline: fixture files are served by a local HTTP server on
127.0.0.1 that counts requests, so caching can be observed directly.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import http.server
import json
import re
import socket
import sys
import threading
import warnings
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from af_inspect.data.remote_sources import (
    REMOTE_SOURCES,
    RemoteDatasetError,
    RemoteSource,
    UnpinnedChecksumWarning,
    cache_dir,
    fetch,
    load_remote_requests,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "remote"
BEHAVIOURS = FIXTURES / "behaviours.csv"
BEHAVIOURS_ROWS = [
    ("Placeholder request one", None),
    ("Placeholder request two", None),
    ("Placeholder request three", None),
    ("Placeholder request four", None),
    ("Placeholder request five", None),
]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclasses.dataclass
class FixtureServer:
    """A running local server and the number of GET requests seen per path."""

    base_url: str
    requests: Counter[str]

    def url(self, file_name: str) -> str:
        return f"{self.base_url}/{file_name}"


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    """Serve tests/fixtures/remote on 127.0.0.1 for the duration of one test."""
    requests: Counter[str] = Counter()
    lock = threading.Lock()

    class CountingHandler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            with lock:
                requests[self.path] += 1
            super().do_GET()

        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(CountingHandler, directory=str(FIXTURES))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        host, port = httpd.server_address[:2]
        yield FixtureServer(base_url=f"http://{host}:{port}", requests=requests)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def _local_source(url: str, **changes: object) -> RemoteSource:
    """An advbench-shaped source pointing at the local server."""
    fields: dict[str, object] = {"url": url, "expected_rows": 5, "sha256": _sha256(BEHAVIOURS)}
    fields.update(changes)
    return dataclasses.replace(REMOTE_SOURCES["advbench"], **fields)


def _files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_download_with_correct_sha256_is_cached_and_rows_returned_in_order(
    server: FixtureServer, tmp_path: Path
) -> None:
    source = _local_source(server.url("behaviours.csv"))

    path = fetch(source, cache=tmp_path)
    rows = load_remote_requests(source, cache=tmp_path)

    assert path == tmp_path / "advbench" / "main" / "behaviours.csv"
    assert path.read_bytes() == BEHAVIOURS.read_bytes()
    assert rows == BEHAVIOURS_ROWS
    # Nothing else (no temporary file, no lock.json for a pinned source) is left behind.
    assert _files_under(tmp_path) == [path]


def test_second_fetch_is_served_from_cache_without_network(server: FixtureServer, tmp_path: Path) -> None:
    source = _local_source(server.url("behaviours.csv"))

    first = fetch(source, cache=tmp_path)
    assert server.requests["/behaviours.csv"] == 1
    second = fetch(source, cache=tmp_path)
    rows = load_remote_requests(source, cache=tmp_path)

    assert second == first
    assert rows == BEHAVIOURS_ROWS
    assert server.requests["/behaviours.csv"] == 1


def test_wrong_pinned_sha256_raises_naming_both_hashes_and_leaves_no_file(
    server: FixtureServer, tmp_path: Path
) -> None:
    wrong = "0" * 64
    url = server.url("behaviours.csv")
    source = _local_source(url, sha256=wrong)

    with pytest.raises(RemoteDatasetError) as excinfo:
        fetch(source, cache=tmp_path)

    message = str(excinfo.value)
    assert wrong in message
    assert _sha256(BEHAVIOURS) in message
    assert url in message
    assert server.requests["/behaviours.csv"] == 1
    assert _files_under(tmp_path) == []


def test_corrupted_cache_of_pinned_source_is_replaced_by_a_fresh_download(
    server: FixtureServer, tmp_path: Path
) -> None:
    source = _local_source(server.url("behaviours.csv"))
    path = fetch(source, cache=tmp_path)
    path.write_text("goal,target\nCorrupted,Corrupted\n", encoding="utf-8")

    again = fetch(source, cache=tmp_path)

    assert again == path
    assert path.read_bytes() == BEHAVIOURS.read_bytes()
    assert server.requests["/behaviours.csv"] == 2


def test_unpinned_sha256_is_recorded_in_lock_json_on_first_use_with_one_warning(
    server: FixtureServer, tmp_path: Path
) -> None:
    url = server.url("behaviours.csv")
    source = _local_source(url, sha256=None)

    with pytest.warns(UnpinnedChecksumWarning, match="not pinned") as record:
        path = fetch(source, cache=tmp_path)

    assert len(record) == 1
    assert _sha256(BEHAVIOURS) in str(record[0].message)
    lock = json.loads((tmp_path / "advbench" / "main" / "lock.json").read_text(encoding="utf-8"))
    assert lock["url"] == url
    assert lock["sha256"] == _sha256(BEHAVIOURS)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", lock["fetched_at"])
    datetime.strptime(lock["fetched_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert path.read_bytes() == BEHAVIOURS.read_bytes()

    # Once recorded, a later fetch verifies silently and needs no network.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fetch(source, cache=tmp_path) == path
    assert server.requests["/behaviours.csv"] == 1


def test_unpinned_cache_altered_after_first_use_is_detected(server: FixtureServer, tmp_path: Path) -> None:
    source = _local_source(server.url("behaviours.csv"), sha256=None)
    with pytest.warns(UnpinnedChecksumWarning):
        path = fetch(source, cache=tmp_path)
    path.write_text("goal,target\nTampered,Tampered\n", encoding="utf-8")
    tampered_sha = _sha256(path)

    with pytest.raises(RemoteDatasetError) as excinfo:
        fetch(source, cache=tmp_path)

    message = str(excinfo.value)
    assert tampered_sha in message
    assert _sha256(BEHAVIOURS) in message
    assert "Delete the folder" in message
    assert str(tmp_path / "advbench" / "main") in message
    assert server.requests["/behaviours.csv"] == 1


def test_http_404_raises_naming_the_url(server: FixtureServer, tmp_path: Path) -> None:
    url = server.url("does_not_exist.csv")
    source = _local_source(url)

    with pytest.raises(RemoteDatasetError) as excinfo:
        fetch(source, cache=tmp_path)

    message = str(excinfo.value)
    assert url in message
    assert "404" in message
    assert "could not be downloaded" in message
    assert str(tmp_path / "advbench" / "main" / "does_not_exist.csv") in message
    assert server.requests["/does_not_exist.csv"] == 1
    assert _files_under(tmp_path) == []


def test_unreachable_server_raises(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{closed_port}/behaviours.csv"
    source = _local_source(url)

    with pytest.raises(RemoteDatasetError) as excinfo:
        fetch(source, cache=tmp_path, timeout=5.0)

    message = str(excinfo.value)
    assert url in message
    assert "could not be downloaded" in message
    assert _files_under(tmp_path) == []


def test_missing_expected_column_raises_naming_missing_and_found_columns(server: FixtureServer, tmp_path: Path) -> None:
    source = _local_source(server.url("behaviours.csv"), expected_columns=("goal", "target", "category"))

    with pytest.raises(RemoteDatasetError) as excinfo:
        load_remote_requests(source, cache=tmp_path)

    message = str(excinfo.value)
    assert "missing the column(s) ['category']" in message
    assert "found columns ['goal', 'target']" in message


def test_wrong_row_count_raises_stating_both_counts(server: FixtureServer, tmp_path: Path) -> None:
    source = _local_source(server.url("behaviours.csv"), expected_rows=6)

    with pytest.raises(RemoteDatasetError) as excinfo:
        load_remote_requests(source, cache=tmp_path)

    assert "has 5 rows, but 6 were expected" in str(excinfo.value)


def test_empty_request_text_raises_naming_the_row(server: FixtureServer, tmp_path: Path) -> None:
    fixture = FIXTURES / "empty_request.csv"
    source = _local_source(server.url("empty_request.csv"), sha256=_sha256(fixture))

    with pytest.raises(RemoteDatasetError) as excinfo:
        load_remote_requests(source, cache=tmp_path)

    message = str(excinfo.value)
    assert "row 3 " in message
    assert "'goal'" in message


def test_category_column_is_returned_and_blank_category_becomes_none(server: FixtureServer, tmp_path: Path) -> None:
    fixture = FIXTURES / "categorised.csv"
    source = dataclasses.replace(
        REMOTE_SOURCES["strongreject"],
        url=server.url("categorised.csv"),
        sha256=_sha256(fixture),
        expected_rows=3,
    )

    rows = load_remote_requests(source, cache=tmp_path)

    assert rows == [
        ("Placeholder prompt one", "Placeholder category A"),
        ("Placeholder prompt two", "Placeholder category B"),
        ("Placeholder prompt three", None),
    ]
    assert (tmp_path / "strongreject" / source.revision / "categorised.csv").is_file()


def test_parquet_source_without_pyarrow_asks_to_install_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A None entry in sys.modules makes `import pyarrow` fail whether or not it is installed.
    monkeypatch.setitem(sys.modules, "pyarrow", None)

    with pytest.raises(RemoteDatasetError) as excinfo:
        load_remote_requests(REMOTE_SOURCES["llm_lat"], cache=tmp_path)

    message = str(excinfo.value)
    assert "pip install pyarrow" in message
    assert REMOTE_SOURCES["llm_lat"].url in message
    # The check happens before any download is attempted.
    assert _files_under(tmp_path) == []


def test_parquet_source_is_read_from_a_verified_cache(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    frame = pd.DataFrame({"prompt": ["  Placeholder request one ", "Placeholder request two"]})
    staging = tmp_path / "staging.parquet"
    frame.to_parquet(staging, engine="pyarrow")
    source = dataclasses.replace(
        REMOTE_SOURCES["llm_lat"],
        url="http://127.0.0.1:9/never-contacted/train.parquet",
        sha256=_sha256(staging),
        expected_rows=2,
    )
    cached = tmp_path / "cache" / "llm_lat" / source.revision / "train.parquet"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(staging.read_bytes())

    rows = load_remote_requests(source, cache=tmp_path / "cache")

    assert rows == [("Placeholder request one", None), ("Placeholder request two", None)]


def test_cache_dir_defaults_and_honours_environment_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AF_INSPECT_CACHE_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "af_inspect" / "datasets"

    monkeypatch.setenv("AF_INSPECT_CACHE_DIR", str(tmp_path / "custom"))
    assert cache_dir() == tmp_path / "custom"


def test_registry_lists_three_https_sources_pinned_in_their_urls() -> None:
    assert set(REMOTE_SOURCES) == {"advbench", "strongreject", "llm_lat"}
    for key, source in REMOTE_SOURCES.items():
        assert source.name == key
        assert source.url.startswith("https://")
        assert f"/{source.revision}/" in source.url
        assert source.text_column in source.expected_columns
        assert source.licence
        assert source.citation

    strongreject = REMOTE_SOURCES["strongreject"]
    llm_lat = REMOTE_SOURCES["llm_lat"]
    assert re.fullmatch(r"[0-9a-f]{40}", strongreject.revision)
    assert re.fullmatch(r"[0-9a-f]{40}", llm_lat.revision)
    assert "/3432b2d696b428f242bd507df96d80f686571d5e/" in strongreject.url
    assert "/8bfba31bc6d93a5b71808fee5275ef4b6330ed91/" in llm_lat.url
    assert llm_lat.sha256 == "51a41eaebf21eabec33ea90366d01d5bee7edb933d439c7017ad6e0107a645b1"
    assert llm_lat.file_format == "parquet"
    assert llm_lat.expected_rows == 4948
    assert REMOTE_SOURCES["advbench"].revision == "main"
    assert REMOTE_SOURCES["advbench"].expected_rows == 520
    assert REMOTE_SOURCES["advbench"].sha256 is None
    assert strongreject.category_column == "category"
    assert strongreject.expected_rows is None
