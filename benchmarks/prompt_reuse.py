"""Prompt reuse: how much of each subject request is a prefix already sent by another sample.

Run: python benchmarks/prompt_reuse.py [--queries 50]
Runs the paired helpful-only task against the local OpenAI-compatible server with exact prefix
accounting (every token counted, no minimum), and prints, over all subject requests after the
first, the share of each request's prompt tokens that an earlier request already sent: what a
provider's prompt cache can serve. Target: ≥ 95%.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile

from inspect_ai import eval
from inspect_ai.model import get_model

from af_inspect import af_helpful_only
from af_inspect.offline.organism import OrganismRates, organism_responder
from af_inspect.offline.server import LocalOpenAIServer

TARGET = 0.95


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=50, help="each gives 2 samples (free, paid)")
    args = parser.parse_args()

    responder = organism_responder(OrganismRates(scratchpad_turns=2))
    with (
        LocalOpenAIServer(responder, cache_min_tokens=0, cache_block_tokens=1) as server,
        tempfile.TemporaryDirectory() as log_dir,
    ):
        model = get_model("openai-api/local/organism", base_url=server.base_url, api_key="local")
        log = eval(
            af_helpful_only(limit=args.queries, judges="none"),
            model=model,
            log_dir=log_dir,
            display="none",
            max_connections=1,
        )
        records = list(server.requests)
    if log[0].status != "success":
        raise SystemExit(f"benchmark run failed: {log[0].error}")
    shares = [record.cached_tokens / record.prompt_tokens for record in records[1:]]
    prompt = statistics.mean(record.prompt_tokens for record in records)
    print(
        f"{len(records)} subject requests (2 × {args.queries} samples, up to 2 turns each), "
        f"mean prompt {prompt:.0f} stand-in tokens"
    )
    print(
        f"share of each request already sent as a prefix: mean {statistics.mean(shares):.1%}, "
        f"minimum {min(shares):.1%}  (target ≥ {TARGET:.0%}: {'met' if min(shares) >= TARGET else 'NOT met'} "
        f"for every request)"
    )


if __name__ == "__main__":
    main()
