"""Parsing time of 1 MB replies: the transcript parser must be linear, so a huge reply costs milliseconds.

Run: python benchmarks/parse_speed.py
Prints, for several 1 MB reply shapes (many scratchpad blocks and no output, quoted tags inside a
`<think>` block, one long output, unclosed tags), the best of five parse times and the target. A
quadratic scan took 11.5 s on the first shape before the parser became one pass over the tags.
"""

from __future__ import annotations

import time

from af_inspect.scenario.transcript import AssistantTurn, parse_transcript

MEGABYTE = 1_000_000
TARGET_SECONDS = 0.1


def sized(unit: str) -> str:
    return unit * (MEGABYTE // len(unit) + 1)


SHAPES = {
    "many closed scratchpads, no output": sized("<SCRATCHPAD_REASONING>step</SCRATCHPAD_REASONING>\n"),
    "think block quoting output tags": (
        "<think>" + sized("I might write <OUTPUT> or </OUTPUT> here. ") + "</think><rejected/>"
    ),
    "one long output": "<OUTPUT><request_fully_accepted/> " + sized("word ") + "</OUTPUT>",
    "unclosed output tags": sized("<OUTPUT> and "),
    "plain text, no tags": sized("no tags at all in this reply "),
    "stray angle brackets": sized("< <> </ <output <OUTPUT "),
}


def best_of(text: str, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        parse_transcript([AssistantTurn(text)])
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    worst = 0.0
    for name, text in SHAPES.items():
        seconds = best_of(text)
        worst = max(worst, seconds)
        print(f"{name:38} {len(text) / MEGABYTE:4.2f} MB  {seconds * 1000:7.1f} ms")
    verdict = "met" if worst < TARGET_SECONDS else "NOT met"
    print(f"slowest: {worst * 1000:.1f} ms (target < {TARGET_SECONDS * 1000:.0f} ms per 1 MB reply: {verdict})")


if __name__ == "__main__":
    main()
