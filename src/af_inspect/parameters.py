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


COMMA_HINT = "Inspect splits -T values at commas: pass a value with a comma in a --task-config YAML file"
"""Why a name arrives as a list, and what to do about it (see the README's task parameters)."""


def _kind(value: Any) -> str:
    """How YAML read a command-line value, in the words of the message."""
    if isinstance(value, bool):
        return f"{value!r} (YAML reads unquoted yes/no/true/false as a truth value: quote it, e.g. -T name='\"no\"')"
    if isinstance(value, list):
        return f"a list {value!r} ({COMMA_HINT})"
    return repr(value)


def require_text(name: str, value: Any, *, optional: bool = False) -> None:
    """Raise unless `value` is non-empty text (or None where `optional`): never a number, truth value or list."""
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise ValueError(f"{name} must be {'unset or ' if optional else ''}text, got {_kind(value)}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")


def require_whole_number(name: str, value: Any, *, minimum: int | None = None, optional: bool = False) -> None:
    """Raise unless `value` is an int (not a truth value) at least `minimum`, or None where `optional`."""
    if value is None and optional:
        return
    below = minimum is not None and isinstance(value, int) and value < minimum
    if isinstance(value, bool) or not isinstance(value, int) or below:
        bound = f" of at least {minimum}" if minimum is not None else ""
        raise ValueError(f"{name} must be {'unset or ' if optional else ''}a whole number{bound}, got {_kind(value)}")


def require_number(name: str, value: Any, *, low: float, high: float | None = None) -> None:
    """Raise unless `value` is an int or float (not a truth value) in [low, high]."""
    in_range = isinstance(value, (int, float)) and value >= low and (high is None or value <= high)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not in_range:
        bound = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise ValueError(f"{name} must be a number {bound}, got {_kind(value)}")


def require_model_name(name: str, value: Any) -> None:
    """Raise unless `value` names a model of a provider Inspect knows (`provider/model`).

    A missing API key is not an error here: whoever uses the model says so when it is needed.
    """
    require_text(name, value, optional=True)
    if value is None:
        return
    from inspect_ai.model import get_model

    try:
        get_model(value)
    except ValueError as error:  # the name does not parse, or no provider of that name is installed
        raise ValueError(f"{name}={value!r} is not a model Inspect can use: {error}") from error
    except Exception:  # noqa: BLE001 - a missing key or client package is reported when the grader is used
        return
