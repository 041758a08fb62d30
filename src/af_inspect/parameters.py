"""Checks of user-given parameters, shared by every task and command: one message shape for every bad value.

Each check raises a ValueError that names the parameter, the value given and what would be valid;
tasks turn it into Inspect's one-line error (see `errors.py`).
"""

from __future__ import annotations

import inspect
from collections.abc import Collection
from typing import Any


def refuse_unknown_parameters(task_name: str, unknown: dict[str, Any], task_function: Any) -> None:
    """Raise, naming the unknown parameters and listing the valid ones."""
    if unknown:
        valid = [name for name in inspect.signature(task_function).parameters if name != "unknown"]
        raise ValueError(f"{task_name}: unknown parameter(s) {', '.join(sorted(unknown))}; valid: {', '.join(valid)}")


def require_positive_whole_numbers(**values: Any) -> None:
    """Raise for the first value that is not a positive int (`true` from YAML is not a number)."""
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive whole number, got {value!r}")


def require_choice(name: str, value: Any, choices: Collection[str]) -> None:
    """Raise unless `value` is one of `choices`, listing them."""
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not valid; choose one of: {', '.join(choices)}")
