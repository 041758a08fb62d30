"""Errors a user can fix: printed by Inspect's command line as one message, without a traceback."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

try:  # Inspect prints its PrerequisiteError alone; without it a traceback would bury the message.
    from inspect_ai._util.error import (
        PrerequisiteError as _InspectMessageError,  # inspect-evals-lint: ignore[private_api_imports] -- the only error Inspect's CLI prints without a traceback; falls back below  # noqa: E501  # fmt: skip
    )
except ImportError:  # pragma: no cover - a future Inspect without it still gets a ValueError
    _InspectMessageError = Exception  # type: ignore[misc, assignment]

F = TypeVar("F", bound=Callable[..., Any])


class ConfigurationError(_InspectMessageError, ValueError):  # type: ignore[misc]
    """A bad parameter, dataset or file, named in the message with what would be valid."""

    def __init__(self, message: str) -> None:
        ValueError.__init__(self, message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class FixableError(RuntimeError):
    """A failure outside the package that the user can fix (an unreachable or changed remote file), said in
    one message naming the thing and what to do.
    """


def configuration_errors(function: F) -> F:
    """Turn the ValueErrors and fixable errors of building a task into `ConfigurationError`."""

    @functools.wraps(function)
    def build(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except ConfigurationError:
            raise
        except (ValueError, FixableError) as error:
            raise ConfigurationError(str(error)) from error

    return build  # type: ignore[return-value]
