"""Run tags: the four Inspect eval metadata keys that say which checkpoint a run evaluated.

A run is tagged with `family`, `base_model`, `method` and `checkpoint` (`--metadata key=value` on
the command line, `metadata=` in `eval()`/`eval_set()`). The report groups the method comparison
by them (see `method_comparison.py`). Convention: a post-trained checkpoint carries its training
method (`bco`, `dpo`, `kto`, `grpo`); the model it was trained from is tagged `method=base` and
`checkpoint=base`; a log without any tag is left out of the method comparison and counted in the
report's notes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

TAG_KEYS: tuple[str, ...] = ("family", "base_model", "method", "checkpoint")
"""The eval metadata keys that tag a run; also the tidy table's tag columns."""

TRAINING_METHODS: tuple[str, ...] = ("bco", "dpo", "kto", "grpo")
"""The preference-optimisation methods Garg et al. 2025 compare (`af-inspect posttrain --method`)."""

BASE_METHOD = "base"
"""`method` (and `checkpoint`) of the model the checkpoints were trained from."""

METHODS: tuple[str, ...] = (BASE_METHOD, *TRAINING_METHODS)


def tag_text(value: Any) -> str | None:
    """A tag value as text: `--metadata checkpoint=500` arrives YAML-parsed as the number 500."""
    if value is None:
        return None
    return str(value)


def run_tags(metadata: Mapping[str, Any] | None) -> dict[str, str | None]:
    """The four tags of a run from its eval metadata; a missing tag is None."""
    metadata = metadata or {}
    return {key: tag_text(metadata.get(key)) for key in TAG_KEYS}
