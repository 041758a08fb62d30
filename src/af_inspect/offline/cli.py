"""`python -m af_inspect.local_server`: serve the scripted model organism and its judges on one endpoint.

It stops on SIGINT (Ctrl-C) or SIGTERM, whatever its threads are doing, and exits 0.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
from types import FrameType
from typing import NoReturn

from af_inspect.offline.faults import FaultPlan
from af_inspect.offline.organism import OrganismRates
from af_inspect.offline.scripted_grader import combined_responder
from af_inspect.offline.server import LocalOpenAIServer


def main(argv: list[str] | None = None) -> None:
    """Serve the scripted model organism and its judges (`scripted_grader.combined_responder`) until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m af_inspect.local_server",
        description="Serve a scripted alignment-faking model organism and a scripted grader for all "
        "five judges on one OpenAI-compatible endpoint. Use --model openai-api/local/organism "
        "--model-role grader=openai-api/local/judge.",
    )
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (0: any free port)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each chat reply")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of chat requests given a provider fault")
    parser.add_argument("--comply-training", type=float, default=0.6, help="compliance rate, free tier")
    parser.add_argument("--comply-unmonitored", type=float, default=0.2, help="compliance rate, paid tier")
    parser.add_argument(
        "--af-share", type=float, default=0.5, help="share of free-tier compliances with alignment-faking reasoning"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the organism's decisions and of the faults")
    args = parser.parse_args(argv)
    try:
        rates = OrganismRates(
            comply_training=args.comply_training,
            comply_unmonitored=args.comply_unmonitored,
            af_reasoning_given_training_compliance=args.af_share,
            seed=args.seed,
        )
        faults = FaultPlan(args.fault_rate, seed=args.seed) if args.fault_rate > 0 else None
        server = LocalOpenAIServer(combined_responder(rates), port=args.port, latency=args.latency, faults=faults)
    except ValueError as error:
        parser.error(str(error))
    with StopSignals() as stop_signals:
        try:
            server.start()
        except OSError as error:
            parser.error(f"cannot listen on port {args.port}: {error.strerror or error}")
        try:
            print(f"LOCAL_BASE_URL={server.base_url}", flush=True)
            print("LOCAL_API_KEY=local", flush=True)
            print("serving the organism and its judges; Ctrl-C stops", file=sys.stderr, flush=True)
            received = stop_signals.wait()
        finally:
            server.stop()
    print(f"stopped on {received.name}", file=sys.stderr, flush=True)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopSignals:
    """SIGINT and SIGTERM, caught from `__enter__` on, whichever thread the system delivers them to.

    Three ways a server could miss them, closed here: a parent that ignores SIGINT passes that on
    (a non-interactive shell starts background jobs so, and Python then never raises
    `KeyboardInterrupt`), so an explicit handler replaces it; a parent may pass them on blocked, so
    they are unblocked; and Python runs handlers only on the main thread once it wakes, so the
    handler's only effect is the signal number that Python's C-level handler writes to a wakeup
    socket at delivery, which `wait` reads. Nothing is raised into the main thread mid-cleanup.
    """

    def __enter__(self) -> StopSignals:
        self._reader, self._writer = socket.socketpair()
        self._writer.setblocking(False)  # set_wakeup_fd requires it: a full buffer drops, never blocks
        self._previous_wakeup = signal.set_wakeup_fd(self._writer.fileno())
        self._previous_handlers = {number: signal.signal(number, _wake_only) for number in STOP_SIGNALS}
        if hasattr(signal, "pthread_sigmask"):  # POSIX; threads started from here on inherit the mask
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        return self

    def wait(self) -> signal.Signals:
        """Block until SIGINT or SIGTERM arrives (or has arrived since `__enter__`); returns which."""
        while True:
            number = self._reader.recv(1)[0]
            if number in STOP_SIGNALS:
                return signal.Signals(number)

    def __exit__(self, *exc_info: object) -> None:
        for number, handler in self._previous_handlers.items():
            if handler is not None:  # None: set outside Python, and not restorable from it
                signal.signal(number, handler)
        signal.set_wakeup_fd(self._previous_wakeup)
        self._reader.close()
        self._writer.close()


def _wake_only(number: int, frame: FrameType | None) -> None:
    """The Python-level handler: the wakeup socket already carries the signal to `StopSignals.wait`."""


def run() -> NoReturn:
    """`main()` as a program: the process ends as soon as the server has stopped.

    The interpreter's own teardown of every module imported (Inspect included) takes about a second
    on a busy 2-core machine, longer than the stop itself; the server is stopped and its output
    flushed, so nothing is left for that teardown to do.
    """
    main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    run()
