"""Public harmful-request sets fetched at run time from pinned sources.

The sets selectable with ``-T dataset=advbench|strongreject|llm_lat`` are not
redistributed with af-inspect. Instead each one is downloaded from a URL that
pins a commit or revision, cached on disk, and verified by sha256 so that an
evaluation always runs on exactly the bytes it was designed for. Where the
checksum could not be pinned when a release was written, the first download is
trusted and its checksum recorded, so that later silent changes are detected.

This module is the table of sources (a new set is one entry here) and the public face of the
remote sets; what a source is lives in `pinned_source.py`, fetching and verifying in
`download_cache.py`, parsing and checking in `remote_tables.py`.
"""

from __future__ import annotations

from af_inspect.data.download_cache import CACHE_DIR_ENV, UnpinnedChecksumWarning, cache_dir, fetch
from af_inspect.data.pinned_source import RemoteDatasetError, RemoteSource
from af_inspect.data.remote_tables import load_remote_requests

__all__ = [
    "CACHE_DIR_ENV",
    "REMOTE_SOURCES",
    "RemoteDatasetError",
    "RemoteSource",
    "UnpinnedChecksumWarning",
    "cache_dir",
    "fetch",
    "load_remote_requests",
]

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
