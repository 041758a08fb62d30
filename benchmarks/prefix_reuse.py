"""Prefix reuse on the embedded model: the first request pays for the system prompt, later ones don't.

Run: python benchmarks/prefix_reuse.py [--requests 6]
Prints the wall time of each one-token request that shares the helpful-only system prompt, and the
ratio of the first to the median of the rest (one run, one machine: compare within the run).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser, GenerateConfig

from af_inspect.data.queries import load_queries
from af_inspect.local_model import LocalLlamaAPI
from af_inspect.scenario.conditions import CONDITIONS, user_turn
from af_inspect.scenario.prompts import system_prompt


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=6)
    args = parser.parse_args()

    model = LocalLlamaAPI("smollm2-135m")
    prompt = system_prompt("helpful_only")
    times = []
    try:
        for index, query in enumerate(load_queries(limit=(args.requests + 1) // 2)):
            for condition in ("free", "paid"):
                messages = [
                    ChatMessageSystem(content=prompt),
                    ChatMessageUser(content=user_turn(query.text, CONDITIONS[condition])),
                    ChatMessageAssistant(content="<"),
                ]
                start = time.perf_counter()
                output, _ = asyncio.run(model.generate(messages, [], "none", GenerateConfig(max_tokens=1)))
                times.append(time.perf_counter() - start)
                print(
                    f"request {len(times):2d} ({query.id}-{condition}): {times[-1]:6.2f} s, "
                    f"{output.usage.input_tokens} input tokens"
                )
    finally:
        model.close()
    rest = statistics.median(times[1:])
    print(f"first request {times[0]:.2f} s; median of the rest {rest:.2f} s; ratio {times[0] / rest:.1f}x")


if __name__ == "__main__":
    main()
