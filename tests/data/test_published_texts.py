"""Loading the papers' own prompts: downloaded once, served from the cache, verified, never guessed.

The fixture texts are placeholders of our own, served from tests/fixtures/remote/published by the
local 127.0.0.1 server of test_remote_sources (it counts requests, so the cache is observable).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import socket
import warnings
from pathlib import Path

import pytest
from test_remote_sources import FIXTURES, FixtureServer
from test_remote_sources import server as local_file_server  # noqa: F401 - the local server fixture

from af_inspect.data.published_texts import (
    GREENBLATT_REVISION,
    PUBLISHED_TEXTS,
    PublishedText,
    load_published_text,
)
from af_inspect.data.remote_sources import RemoteDatasetError, UnpinnedChecksumWarning

PUBLISHED = FIXTURES / "published"
REPOSITORY, REVISION = "lab/papers", "0123abc"
SYSTEM = PUBLISHED / REPOSITORY / REVISION / "prompts/system.txt"


@pytest.fixture
def files(request: pytest.FixtureRequest) -> FixtureServer:
    """The local server of tests/fixtures/remote (imported under another name, so the linter sees it used)."""
    return request.getfixturevalue("local_file_server")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _text(server: FixtureServer, path: str, **changes: object) -> PublishedText:
    """A published-text entry whose repository the local server serves."""
    fields: dict[str, object] = {
        "name": "placeholder_prompt",
        "description": "a placeholder",
        "repository": REPOSITORY,
        "path": path,
        "revision": REVISION,
        "sha256": None,
        "citation": "none",
        "host": server.url("published"),
    }
    return PublishedText(**(fields | changes))  # type: ignore[arg-type]


def test_a_pinned_text_is_downloaded_verified_and_then_read_from_the_cache(files, tmp_path):
    entry = _text(files, "prompts/system.txt", sha256=_sha256(SYSTEM))
    first = load_published_text(entry, cache=tmp_path)
    second = load_published_text(entry, cache=tmp_path)
    assert first.text == second.text == SYSTEM.read_text(encoding="utf-8")
    assert first.sha256 == _sha256(SYSTEM) and first.url == entry.url
    assert files.requests[f"/published/{REPOSITORY}/{REVISION}/prompts/system.txt"] == 1
    assert (tmp_path / "placeholder_prompt" / REVISION / "system.txt").is_file()


def test_a_text_whose_checksum_could_not_be_pinned_is_trusted_on_first_use_and_recorded(files, tmp_path):
    entry = _text(files, "prompts/system.txt")
    with pytest.warns(UnpinnedChecksumWarning, match="not pinned"):
        load_published_text(entry, cache=tmp_path)
    lock = json.loads((tmp_path / "placeholder_prompt" / REVISION / "lock.json").read_text(encoding="utf-8"))
    assert lock == {"url": entry.url, "sha256": _sha256(SYSTEM), "fetched_at": lock["fetched_at"]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_published_text(entry, cache=tmp_path)


def test_a_checksum_mismatch_is_refused_naming_both_hashes_and_nothing_is_kept(files, tmp_path):
    entry = _text(files, "prompts/system.txt", sha256="0" * 64)
    with pytest.raises(RemoteDatasetError) as error:
        load_published_text(entry, cache=tmp_path)
    message = str(error.value)
    assert "Published text 'placeholder_prompt'" in message and entry.url in message
    assert "0" * 64 in message and _sha256(SYSTEM) in message
    assert not any(path.is_file() for path in tmp_path.rglob("*"))


def test_a_cached_text_changed_after_first_use_is_refused(files, tmp_path):
    entry = _text(files, "prompts/system.txt")
    with pytest.warns(UnpinnedChecksumWarning):
        load_published_text(entry, cache=tmp_path)
    (tmp_path / "placeholder_prompt" / REVISION / "system.txt").write_text("Edited.", encoding="utf-8")
    with pytest.raises(RemoteDatasetError, match="has been tampered with"):
        load_published_text(entry, cache=tmp_path)


def test_an_unreachable_source_is_named_with_its_url_and_what_to_do(tmp_path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    entry = PUBLISHED_TEXTS["greenblatt_2024_helpful_only"]
    entry = dataclasses.replace(entry, host=f"http://127.0.0.1:{closed}")
    with pytest.raises(RemoteDatasetError) as error:
        load_published_text(entry, cache=tmp_path, timeout=5.0)
    message = str(error.value)
    assert "Published text 'greenblatt_2024_helpful_only'" in message and entry.url in message
    assert "could not be downloaded" in message and "place the file at" in message


def test_an_include_is_fetched_from_the_same_revision_and_put_in_its_place(files, tmp_path):
    entry = _text(files, "prompts/with_examples.jinja2")
    with pytest.warns(UnpinnedChecksumWarning):
        loaded = load_published_text(entry, cache=tmp_path)
    assert "{%" not in loaded.text
    assert "=== EXAMPLES ===\nPlaceholder example text that the include puts in place.\n=== END ===" in loaded.text
    assert loaded.includes == (f"{files.url('published')}/{REPOSITORY}/{REVISION}/prompts/parts/examples.jinja2",)
    assert files.requests[f"/published/{REPOSITORY}/{REVISION}/prompts/parts/examples.jinja2"] == 1


def test_template_syntax_other_than_an_include_is_refused_not_rendered(files, tmp_path):
    entry = _text(files, "prompts/templated.jinja2")
    with pytest.warns(UnpinnedChecksumWarning), pytest.raises(RemoteDatasetError) as error:
        load_published_text(entry, cache=tmp_path)
    assert "line 1 holds template syntax ('{{ model_name }}" in str(error.value)


def test_the_registry_pins_g_to_a_commit_and_h_to_main_and_ships_no_text():
    assert len(GREENBLATT_REVISION) == 40 and int(GREENBLATT_REVISION, 16) >= 0
    for name, entry in PUBLISHED_TEXTS.items():
        assert entry.name == name and entry.url.startswith("https://raw.githubusercontent.com/")
        assert f"/{entry.revision}/" in entry.url and entry.sha256 is None
    shipped = Path(__file__).resolve().parents[2] / "src" / "af_inspect" / "prompts"
    assert not any("alignment_faking_public" in p.name or "jinja" in p.suffix for p in shipped.rglob("*"))
