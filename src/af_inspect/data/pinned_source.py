"""What a pinned remote file is, and the one error every failure to fetch, verify or parse it raises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from af_inspect.errors import FixableError


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

    @property
    def label(self) -> str:
        """How messages name it."""
        return f"Remote dataset '{self.name}'"


class Pinned(Protocol):
    """What fetching and verifying needs of a pinned file: a request set or a published text."""

    name: str
    url: str
    revision: str
    sha256: str | None

    @property
    def label(self) -> str: ...


class RemoteDatasetError(FixableError):
    """A remote request set or published text could not be fetched, verified or parsed.

    One exception type lets the task layer report every such failure the same
    way; the message always names the source, its URL and what to do next.
    """


def source_failure(source: Pinned, problem: str, remedy: str) -> RemoteDatasetError:
    """Build an error whose message always names the source, its URL and a remedy."""
    return RemoteDatasetError(f"{source.label} ({source.url}): {problem} {remedy}")
