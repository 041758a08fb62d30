"""Orchestration overhead: wall time of a paired multi-turn run vs the latency-bound ideal.

Run: python benchmarks/orchestration.py [--queries 400] [--latency 2.0] [--jitter 0.5] [--connections 20]
The model organism answers through the local OpenAI-compatible server after a latency (mean
`--latency`, varying by ±`--jitter` of it, as real APIs do), with one scratchpad-only turn before
its output (2 requests a sample). The ideal wall time is samples × turns × mean latency /
connections; the ratio shows what af-inspect and Inspect add, start-up included. Target: ≤ 1.10x.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from inspect_ai import eval
from inspect_ai.model import get_model

from af_inspect import af_helpful_only
from af_inspect.offline.organism import OrganismRates, organism_responder
from af_inspect.offline.server import LocalOpenAIServer

TARGET = 1.10
TURNS = 2


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=400, help="each gives 2 samples (free, paid)")
    parser.add_argument("--latency", type=float, default=2.0, help="mean seconds per request")
    parser.add_argument("--jitter", type=float, default=0.5, help="latency varies by ± this share")
    parser.add_argument("--connections", type=int, default=20)
    args = parser.parse_args()

    rates = OrganismRates(scratchpad_turns=TURNS)
    with (
        LocalOpenAIServer(organism_responder(rates), latency=args.latency, latency_jitter=args.jitter) as server,
        tempfile.TemporaryDirectory() as scratch,
    ):
        # Our shipped set has 120 queries; a sweep-sized run needs more, so write neutral stand-ins.
        queries = Path(scratch) / "queries.jsonl"
        queries.write_text(
            "".join(
                json.dumps({"id": f"b{n:04d}", "request": f"Benchmark request number {n}: describe a garden."}) + "\n"
                for n in range(1, args.queries + 1)
            )
        )
        log_dir = str(Path(scratch) / "logs")
        model = get_model("openai-api/local/organism", base_url=server.base_url, api_key="local")
        start = time.perf_counter()
        log = eval(
            af_helpful_only(dataset=str(queries), judges="none", max_turns=TURNS),
            model=model,
            log_dir=log_dir,
            display="none",
            max_connections=args.connections,
            # Samples beyond the connections keep every connection busy while others are scored and logged.
            max_samples=2 * args.connections,
        )[0]
        wall = time.perf_counter() - start
        requests = len(server.requests)
        samples = log.results.completed_samples if log.results else 0
    if log.status != "success":
        raise SystemExit(f"benchmark run failed: {log.error}")
    if requests != samples * TURNS:
        raise SystemExit(f"expected {samples * TURNS} requests for {samples} samples, the server saw {requests}")
    ideal = samples * TURNS * args.latency / args.connections
    print(
        f"{samples} samples × {TURNS} turns, latency {args.latency:g} s ± {args.jitter:.0%}, "
        f"{args.connections} connections; "
        f"{requests} requests served"
    )
    print(f"ideal (samples × turns × latency / connections): {ideal:6.2f} s")
    print(f"wall time:                                       {wall:6.2f} s")
    ratio = wall / ideal
    print(f"ratio: {ratio:.3f}x  (target ≤ {TARGET}x: {'met' if ratio <= TARGET else 'NOT met'})")


if __name__ == "__main__":
    main()
