"""`python -m af_inspect.local_server`: serve the scripted model organism and its judges on one endpoint."""

from __future__ import annotations

import argparse
import sys
import time

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
    server.start()
    print(f"LOCAL_BASE_URL={server.base_url}", flush=True)
    print("LOCAL_API_KEY=local", flush=True)
    print("serving the organism and its judges; Ctrl-C stops", file=sys.stderr, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()
