"""Checkpoints and evaluation grids: read `af_inspect_checkpoint.json` and turn checkpoints into tagged runs.

`af-inspect posttrain` writes one `af_inspect_checkpoint.json` per checkpoint with the keys in
`CHECKPOINT_KEYS`; `read_checkpoint` validates it and `grid_runs` turns checkpoints and base
models into the runs (model name + tags) of an evaluation grid.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from af_inspect.report.run_tags import BASE_METHOD, TAG_KEYS, TRAINING_METHODS

CHECKPOINT_FILE = "af_inspect_checkpoint.json"
CHECKPOINT_KEYS: tuple[str, ...] = (
    "family",
    "base_model",
    "method",
    "checkpoint",
    "adapter_dir",
    "merged_dir",
    "steps",
    "data",
    "af_inspect_version",
)

PROVIDERS: tuple[str, ...] = ("hf", "vllm", "openai-api")
"""How a grid reaches its models: `hf/` loads a merged directory in-process; `vllm/` serves the base
model with each LoRA adapter; `openai-api/` talks to a server you started."""


@dataclass(frozen=True)
class Checkpoint:
    """One post-trained checkpoint as `af-inspect posttrain` describes it."""

    family: str
    base_model: str
    method: str
    checkpoint: str
    adapter_dir: str | None
    merged_dir: str | None
    steps: Any
    data: Any
    af_inspect_version: Any
    source: Path
    """The `af_inspect_checkpoint.json` it was read from."""

    @property
    def tags(self) -> dict[str, str]:
        return {
            "family": self.family,
            "base_model": self.base_model,
            "method": self.method,
            "checkpoint": self.checkpoint,
        }


def read_checkpoint(path: str | Path) -> Checkpoint:
    """Read and check a checkpoint directory's `af_inspect_checkpoint.json` (or the file itself).

    Relative `adapter_dir`/`merged_dir` are taken relative to the file's folder when they exist
    there, else kept as written (relative to where you run).

    Raises:
        ValueError: no such file, not JSON, a key missing or empty, or an unknown method.
    """
    file = Path(path)
    if file.is_dir():
        file = file / CHECKPOINT_FILE
    if not file.is_file():
        raise ValueError(
            f"no {CHECKPOINT_FILE} at '{path}': give a checkpoint directory written by `af-inspect posttrain`"
        )
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{file} is not JSON: {error.msg} (line {error.lineno})") from error
    if not isinstance(data, dict):
        raise ValueError(f"{file} must hold one JSON object with the keys {', '.join(CHECKPOINT_KEYS)}")
    missing = [key for key in CHECKPOINT_KEYS if key not in data]
    if missing:
        raise ValueError(f"{file} lacks the key(s) {', '.join(missing)}; expected: {', '.join(CHECKPOINT_KEYS)}")
    for key in TAG_KEYS:
        if not isinstance(data[key], (str, int, float)) or not str(data[key]).strip():
            raise ValueError(f"{file}: '{key}' must be a non-empty text, got {data[key]!r}")
    method = str(data["method"]).strip().lower()
    if method not in TRAINING_METHODS:
        raise ValueError(f"{file}: method '{data['method']}' is not one of {', '.join(TRAINING_METHODS)}")
    if not data["adapter_dir"] and not data["merged_dir"]:
        raise ValueError(f"{file}: neither adapter_dir nor merged_dir is set, so there is no model to evaluate")
    return Checkpoint(
        family=str(data["family"]).strip(),
        base_model=str(data["base_model"]).strip(),
        method=method,
        checkpoint=str(data["checkpoint"]).strip(),
        adapter_dir=_beside(file, data["adapter_dir"]),
        merged_dir=_beside(file, data["merged_dir"]),
        steps=data["steps"],
        data=data["data"],
        af_inspect_version=data["af_inspect_version"],
        source=file,
    )


def _beside(file: Path, directory: Any) -> str | None:
    if not directory:
        return None
    path = Path(str(directory))
    if not path.is_absolute() and (file.parent / path).exists():
        return str(file.parent / path)
    return str(path)


@dataclass(frozen=True)
class GridRun:
    """One model of an evaluation grid: the Inspect model name and the tags its logs carry."""

    model: str
    tags: dict[str, str]


def checkpoint_model(checkpoint: Checkpoint, provider: str, server: str = "local") -> str:
    """The Inspect model name that evaluates a checkpoint through `provider` (see `PROVIDERS`).

    `hf`: the merged directory. `vllm`: the base model with the LoRA adapter
    (`vllm/<base>:<adapter_dir>`), or the merged directory if there is no adapter.
    `openai-api`: `openai-api/<server>/<checkpoint>`: serve each checkpoint under its checkpoint
    name (e.g. `vllm serve <base> --enable-lora --lora-modules <checkpoint>=<adapter_dir>`).
    """
    _require_provider(provider)
    if provider == "hf":
        if not checkpoint.merged_dir:
            raise ValueError(
                f"{checkpoint.source}: the hf provider needs merged_dir; use --provider vllm for the adapter alone"
            )
        return f"hf/{checkpoint.merged_dir}"
    if provider == "vllm":
        if checkpoint.adapter_dir:
            return f"vllm/{checkpoint.base_model}:{checkpoint.adapter_dir}"
        return f"vllm/{checkpoint.merged_dir}"
    return f"openai-api/{server}/{checkpoint.checkpoint}"


def base_run(base_model: str, family: str, provider: str, server: str = "local") -> GridRun:
    """The base model of a family, tagged `method=base`, `checkpoint=base`."""
    _require_provider(provider)
    if not base_model.strip() or not family.strip():
        raise ValueError(f"a base model needs a name and a family, got base={base_model!r}, family={family!r}")
    model = f"openai-api/{server}/{base_model}" if provider == "openai-api" else f"{provider}/{base_model}"
    return GridRun(
        model, {"family": family, "base_model": base_model, "method": BASE_METHOD, "checkpoint": BASE_METHOD}
    )


def grid_runs(
    checkpoint_dirs: Sequence[str | Path],
    bases: Sequence[tuple[str, str]] = (),
    *,
    provider: str = "hf",
    server: str = "local",
) -> list[GridRun]:
    """Base models (as (base_model, family)) first, then each checkpoint, every run tagged.

    Raises:
        ValueError: a bad checkpoint file, an unknown provider, or two runs with one model name
            (their logs could not be told apart).
    """
    runs = [base_run(base_model, family, provider, server) for base_model, family in bases]
    for directory in checkpoint_dirs:
        checkpoint = read_checkpoint(directory)
        runs.append(GridRun(checkpoint_model(checkpoint, provider, server), checkpoint.tags))
    seen: dict[str, GridRun] = {}
    for run in runs:
        if run.model in seen:
            raise ValueError(
                f"two runs would evaluate the same model '{run.model}': {seen[run.model].tags} and {run.tags}"
            )
        seen[run.model] = run
    return runs


def unmatched_bases(runs: Sequence[GridRun]) -> list[str]:
    """Base models that no checkpoint in the grid names as its base_model (probably spelt differently)."""
    trained_from = {run.tags["base_model"] for run in runs if run.tags["method"] != BASE_METHOD}
    return [
        run.tags["base_model"]
        for run in runs
        if run.tags["method"] == BASE_METHOD and trained_from and run.tags["base_model"] not in trained_from
    ]


def _require_provider(provider: str) -> None:
    if provider not in PROVIDERS:
        raise ValueError(f"provider '{provider}' is not one of {', '.join(PROVIDERS)}")
