"""Provider faults injected on purpose, so that retries and error handling can be tested offline.

Remote providers fail now and then; a `FaultPlan` gives a reproducible share of chat requests the
failures they show, and `FaultDraws` decides, request by request, which ones get which.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from af_inspect.offline.chat import ErrorResponse, is_int, is_number

FaultKind = Literal["429", "500", "timeout", "malformed_json", "truncated"]

FAULT_KINDS: tuple[FaultKind, ...] = ("429", "500", "timeout", "malformed_json", "truncated")
"""The faults a `FaultPlan` can inject, as remote providers show them: `429` a rate limit with
`retry-after: 0`; `500` a server error; `timeout` a connection held open, then closed without a
response; `malformed_json` an HTTP 200 whose body is not JSON; `truncated` an HTTP 200 whose
reply is cut to half its tokens with finish_reason `length`."""

RATE_LIMITED = ErrorResponse(
    429,
    "Rate limit reached for requests (injected by a FaultPlan of the local server). Please try again in 0s.",
    "requests",
    "rate_limit_exceeded",
)
SERVER_ERROR = ErrorResponse(
    500,
    "The server had an error while processing your request (injected by a FaultPlan of the local server).",
    "server_error",
)


@dataclass(frozen=True)
class FaultPlan:
    """Which chat requests fail and how: reproducible given the order in which requests arrive.

    Args:
        rate: Chance that a request gets a fault (after the first `first`, which always do).
        kinds: Faults to choose from, uniformly; names from `FAULT_KINDS`.
        seed: Seed of the draws.
        timeout_seconds: How long a `timeout` fault holds the connection before hanging up.
        first: The first this-many valid chat requests always get a fault, e.g. to test one retry.
    """

    rate: float
    kinds: tuple[FaultKind, ...] = FAULT_KINDS
    seed: int = 0
    timeout_seconds: float = 30.0
    first: int = 0

    def __post_init__(self) -> None:
        if not is_number(self.rate) or not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be a probability from 0 to 1, got {self.rate!r}")
        valid = ", ".join(FAULT_KINDS)
        if isinstance(self.kinds, str) or not isinstance(self.kinds, (tuple, list)):
            raise ValueError(f"kinds must be a tuple of fault names, got {self.kinds!r}; valid kinds: {valid}")
        unknown = [kind for kind in self.kinds if kind not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kind(s) {', '.join(map(repr, unknown))}; valid kinds: {valid}")
        if not self.kinds:
            raise ValueError(f"kinds must name at least one fault; valid kinds: {valid}")
        object.__setattr__(self, "kinds", tuple(self.kinds))
        if not is_int(self.seed):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")
        if not is_number(self.timeout_seconds) or self.timeout_seconds < 0:
            raise ValueError(f"timeout_seconds must be a number >= 0, got {self.timeout_seconds!r}")
        if not is_int(self.first) or self.first < 0:
            raise ValueError(f"first must be an integer >= 0, got {self.first!r}")


class FaultDraws:
    """A plan's decisions, one per valid chat request in arrival order; no faults without a plan.

    Not thread-safe: the server draws under its lock.
    """

    def __init__(self, plan: FaultPlan | None) -> None:
        self._plan = plan
        self._random = random.Random(plan.seed if plan is not None else 0)
        self._drawn = 0

    def next(self) -> FaultKind | None:
        """The fault of the next valid chat request, or None."""
        if self._plan is None:
            return None
        self._drawn += 1
        forced = self._drawn <= self._plan.first
        if forced or self._random.random() < self._plan.rate:
            return self._random.choice(self._plan.kinds)
        return None
