"""The papers' own prompts, loaded at run time from their public repositories and never shipped.

Each entry pins a file in a public repository to a revision (a commit where one could be
established) and, where known, its sha256. It is fetched once into the cache and verified on every
use by `download_cache.fetch`, like the remote query sets: where no checksum could be pinned, the
first download is trusted and its checksum recorded, so later changes are refused (trust on first
use). A published prompt may pull in another file of its repository with a Jinja
`{% include 'path' %}` line; that file is fetched from the same revision and put in its place. Any
other template syntax is refused, not rendered, since this module cannot know what it would fill in.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from af_inspect.data.download_cache import fetch
from af_inspect.data.pinned_source import source_failure

GITHUB_RAW = "https://raw.githubusercontent.com"

GREENBLATT_REPOSITORY = "redwoodresearch/alignment_faking_public"
GREENBLATT_REVISION = "8d98bb786893ac44d02f41eb222eabf302c0aab9"
"""The only full commit of G's repository we could establish without network access (the folder name of
a GitHub archive of it, seen in another public repository); its files' checksums are trusted on first use."""
HUGHES_REPOSITORY = "safety-research/open-source-alignment-faking"
HUGHES_REVISION = "main"
"""No full commit could be established here (third parties cite the short hashes 07929d2 and dc21773),
so H's files follow `main`, trusted on first use: a later change upstream is refused, not used."""

GREENBLATT_CITATION = (
    "Greenblatt, R., Denison, C., Wright, B., et al. (2024). Alignment faking in large language models. "
    "arXiv:2412.14093."
)
HUGHES_CITATION = (
    "Hughes, J., Sheshadri, A., et al. (2025). Alignment Faking Revisited: Improved Classifiers and Open Source "
    "Extensions. Anthropic Alignment Science blog."
)


@dataclass(frozen=True)
class PublishedText:
    """One file of a paper's public repository, pinned to a revision."""

    name: str
    """Registry key and cache folder."""
    description: str
    repository: str
    path: str
    revision: str
    sha256: str | None
    """Expected sha256 of the file; None: recorded on first download and enforced after that."""
    citation: str
    licence: str = "MIT"
    host: str = GITHUB_RAW
    """Where raw files are served; tests point it at a local server."""

    @property
    def url(self) -> str:
        return f"{self.host}/{self.repository}/{self.revision}/{self.path}"

    @property
    def label(self) -> str:
        return f"Published text '{self.name}'"


@dataclass(frozen=True)
class LoadedText:
    """A published text as a run uses it, with what the log records about where it came from."""

    text: str
    name: str
    url: str
    sha256: str
    """Of the text as used (after includes)."""
    includes: tuple[str, ...] = ()
    """The URLs of the files put in place of include lines."""

    def provenance(self) -> dict[str, object]:
        return {"name": self.name, "url": self.url, "sha256": self.sha256, "includes": list(self.includes)}


def _greenblatt(name: str, description: str, path: str) -> PublishedText:
    return PublishedText(name, description, GREENBLATT_REPOSITORY, path, GREENBLATT_REVISION, None, GREENBLATT_CITATION)


def _hughes(name: str, description: str, path: str) -> PublishedText:
    return PublishedText(name, description, HUGHES_REPOSITORY, path, HUGHES_REVISION, None, HUGHES_CITATION)


PUBLISHED_TEXTS: dict[str, PublishedText] = {
    text.name: text
    for text in (
        _greenblatt(
            "greenblatt_2024_helpful_only",
            "G's helpful-only system prompt with its reasoning examples",
            "model_organism_honly_prompts/prompt_atn_honly_with_examples.txt",
        ),
        _greenblatt(
            "greenblatt_2024_helpful_only_no_cot",
            "G's helpful-only no-CoT system prompt with its examples",
            "model_organism_honly_prompts/prompt_atn_honly_no_cot_with_examples.txt",
        ),
        _hughes(
            "hughes_2025_helpful_only",
            "H's 'with training details' helpful-only prompt (prompt-only, hidden scratchpad)",
            "prompts/system_prompts/helpful-only_prompt-only_cot.jinja2",
        ),
        _hughes(
            "hughes_2025_helpful_only_no_cot",
            "H's 'with training details' helpful-only prompt without a scratchpad",
            "prompts/system_prompts/helpful-only_prompt-only_no-cot.jinja2",
        ),
        _hughes(
            "hughes_2025_af_classifier",
            "H's majority-vote alignment-faking classifier prompt (four criteria, no examples)",
            "prompts/classifiers/scratchpad_classifiers/new_classifiers/deceptive_alignment_majority_vote_v1.jinja",
        ),
    )
}
"""Every published text by name."""

_INCLUDE = re.compile(r"""\{%-?\s*include\s+['"]([^'"]+)['"]\s*-?%\}""")
_TEMPLATE_SYNTAX = re.compile(r"\{%|\{\{|\{#")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def published_text(name: str) -> PublishedText:
    """The entry called `name`, or an error naming the valid ones."""
    if name not in PUBLISHED_TEXTS:
        raise ValueError(f"no published text {name!r}; known: {', '.join(PUBLISHED_TEXTS)}")
    return PUBLISHED_TEXTS[name]


def load_published_text(entry: PublishedText, *, cache: Path | None = None, timeout: float = 60.0) -> LoadedText:
    """The text of `entry`, fetched into the cache (or read from it) and verified, includes resolved.

    Raises:
        RemoteDatasetError: A file could not be fetched or verified, is not UTF-8 text, or holds
            template syntax other than an include.
    """
    text = _read(entry, cache, timeout)
    includes: list[str] = []

    def included(match: re.Match[str]) -> str:
        part = dataclasses.replace(
            entry,
            name=f"{entry.name}.{_SAFE_NAME.sub('_', match.group(1))}",
            path=match.group(1),
            sha256=None,
            description=f"{match.group(1)}, included by {entry.name}",
        )
        includes.append(part.url)
        body = _read(part, cache, timeout)
        # Jinja drops one trailing newline of an included template; so does this.
        return body[:-1] if body.endswith("\n") else body

    text = _INCLUDE.sub(included, text)
    leftover = _TEMPLATE_SYNTAX.search(text)
    if leftover:
        line = text[: leftover.start()].count("\n") + 1
        raise source_failure(
            entry,
            f"line {line} holds template syntax ({text[leftover.start() : leftover.start() + 40]!r}) that only "
            "an include can be: af-inspect does not render templates, so the text would not be what the paper sent.",
            "Use the text with the template filled in as -T system_prompt_file=<path> instead.",
        )
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedText(text, entry.name, entry.url, digest, tuple(includes))


def _read(entry: PublishedText, cache: Path | None, timeout: float) -> str:
    path = fetch(entry, cache=cache, timeout=timeout)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise source_failure(
            entry, f"the file {path} is not UTF-8 text ({error}).", f"Delete {path.parent}."
        ) from error
