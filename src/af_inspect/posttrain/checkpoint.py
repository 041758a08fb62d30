"""The identity of a post-trained checkpoint: `af_inspect_checkpoint.json` and the command that evaluates it.

The evaluation side tags each run with these fields (Inspect's `--metadata key=value`), so a
comparison table can group checkpoints by family, base model and method.
"""

from __future__ import annotations

import importlib.metadata
import json
import shlex
from pathlib import Path
from typing import Any

from af_inspect.posttrain.grid import CHECKPOINT_FILE
from af_inspect.report.run_tags import TAG_KEYS

EVAL_TASK = "tasks/af_helpful_only.py"
HELPFULNESS_TASK = "tasks/af_benign_helpfulness.py"
"""The two tasks of the comparison: harmlessness and safety, then helpfulness."""


def checkpoint_metadata(
    *, family: str, base_model: str, method: str, checkpoint: str, out: Path, steps: int, data: dict[str, Any]
) -> dict[str, Any]:
    """Exactly the keys of `CHECKPOINT_KEYS`, with the adapter and merged folders inside `out`."""
    return {
        "family": family,
        "base_model": base_model,
        "method": method,
        "checkpoint": checkpoint,
        "adapter_dir": str(out / "adapter"),
        "merged_dir": str(out / "merged"),
        "steps": steps,
        "data": data,
        "af_inspect_version": importlib.metadata.version("af-inspect"),
    }


def write_checkpoint_metadata(metadata: dict[str, Any], out: Path) -> Path:
    path = out / CHECKPOINT_FILE
    path.write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    return path


def eval_command(metadata: dict[str, Any], task: str = EVAL_TASK) -> str:
    """The `inspect eval` command that evaluates the merged checkpoint, tagged with its identity."""
    parts = ["inspect", "eval", task, "--model", f"hf/{metadata['merged_dir']}"]
    for key in TAG_KEYS:
        parts += ["--metadata", f"{key}={metadata[key]}"]
    return shlex.join(parts)
