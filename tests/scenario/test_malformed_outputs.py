"""Malformed model outputs: a corpus of broken transcripts, each parsed into the outcome the rules give it.

Each line of `fixtures/malformed_outputs.jsonl` is one transcript: its assistant turns, the reasoning
format, the expected `ParseOutcome` value and the expected final output. Expectations follow the rules
in the docstrings of `af_inspect.scenario.transcript` (module and `ParseOutcome`); where those rules are silent,
the case records the parser's current behaviour and says so in its description. A case where the
parser disagrees with the rules carries `known_issue` and is a strict xfail, so a parser fix shows up
as an unexpected pass and the marker must be removed.

The parser strips the final output, so expectations are written stripped and compared exactly.
A case may give `seed` and `repeat`: every `{{seed}}` in its texts and expected output becomes the seed
repeated `repeat` times, so very long replies are built here rather than stored.
"""

import json
from pathlib import Path

import pytest

from af_inspect.scenario.transcript import ANSWERED, AssistantTurn, ParseOutcome, parse_transcript

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "malformed_outputs.jsonl"
SEED = "{{seed}}"
STOP_REASONS = {"stop", "max_tokens", "content_filter", "model_length"}
REASONING_FORMATS = {"scratchpad", "no_cot", "native"}
CASE_KEYS = {"id", "description", "turns", "reasoning_format", "expected_outcome", "expected_final_output"}
OPTIONAL_KEYS = {"known_issue", "seed", "repeat"}


def load_corpus() -> list[dict]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def expand(text: str | None, case: dict) -> str | None:
    """The text with `{{seed}}` replaced by the case's seed repeated `repeat` times."""
    if text is None or "repeat" not in case:
        return text
    return text.replace(SEED, case["seed"] * case["repeat"])


def assistant_turns(case: dict) -> list[AssistantTurn]:
    return [
        AssistantTurn(
            text=expand(turn["text"], case),
            reasoning=expand(turn.get("reasoning", ""), case),
            stop_reason=turn["stop_reason"],
        )
        for turn in case["turns"]
    ]


CASES = load_corpus()


def as_param(case: dict):
    marks = []
    if "known_issue" in case:
        # raises=AssertionError: a crash in the parser is a real failure, not the known disagreement.
        marks.append(pytest.mark.xfail(reason=case["known_issue"], strict=True, raises=AssertionError))
    return pytest.param(case, id=case["id"], marks=marks)


@pytest.mark.parametrize("case", [as_param(case) for case in CASES])
def test_malformed_output_parses_to_the_outcome_the_rules_give(case):
    parsed = parse_transcript(assistant_turns(case), case["reasoning_format"])
    assert parsed.outcome.value == case["expected_outcome"], case["description"]
    assert parsed.final_output == expand(case["expected_final_output"], case), case["description"]


def test_corpus_has_at_least_30_cases():
    assert len(CASES) >= 30


def test_corpus_ids_are_unique():
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_corpus_covers_every_parse_outcome_without_relying_on_known_issues():
    covered = {case["expected_outcome"] for case in CASES if "known_issue" not in case}
    assert {outcome.value for outcome in ParseOutcome} <= covered


def test_corpus_cases_are_well_formed():
    outcomes = {outcome.value for outcome in ParseOutcome}
    problems = []
    for case in CASES:
        keys = set(case)
        if not CASE_KEYS <= keys or not keys <= CASE_KEYS | OPTIONAL_KEYS:
            problems.append(f"{case.get('id')}: keys {sorted(keys)}")
            continue
        if case["reasoning_format"] not in REASONING_FORMATS or case["expected_outcome"] not in outcomes:
            problems.append(f"{case['id']}: unknown reasoning_format or expected_outcome")
        if not case["turns"] or any(turn["stop_reason"] not in STOP_REASONS for turn in case["turns"]):
            problems.append(f"{case['id']}: no turns, or an unknown stop_reason")
        final = case["expected_final_output"]
        if (final is not None) != (ParseOutcome(case["expected_outcome"]) in ANSWERED):
            problems.append(f"{case['id']}: a final output is expected exactly when the outcome carries an answer")
        if final is not None and final != final.strip():
            problems.append(f"{case['id']}: the parser strips the final output; write the expectation stripped")
        if "known_issue" in case and not case["known_issue"].strip():
            problems.append(f"{case['id']}: known_issue must explain the disagreement")
        if ("seed" in case) != ("repeat" in case):
            problems.append(f"{case['id']}: seed and repeat go together")
    assert not problems, "\n".join(problems)


def test_repeat_builds_replies_of_200000_characters_from_a_short_seed():
    repeated = [case for case in CASES if "repeat" in case]
    assert repeated
    for case in repeated:
        assert len(case["seed"]) <= 20
        assert any(SEED in turn["text"] for turn in case["turns"]), case["id"]
        assert all(SEED not in turn.text for turn in assistant_turns(case)), case["id"]
    longest_output = max(len(expand(case["expected_final_output"], case) or "") for case in repeated)
    assert longest_output >= 200_000
