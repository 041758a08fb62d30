"""Transcript parsing: every way a transcript can end lands in its own explicit outcome."""

import pytest
from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser, ContentReasoning, ContentText

from af_inspect.scenario.transcript import AssistantTurn, ParseOutcome, assistant_turns, parse_transcript, turn_outcome


def parse(*texts: str, stop_reason: str = "stop", reasoning_format="scratchpad"):
    turns = [AssistantTurn(text) for text in texts[:-1]] + [AssistantTurn(texts[-1], stop_reason=stop_reason)]
    return parse_transcript(turns, reasoning_format)


def test_final_output_after_scratchpad_is_extracted():
    parsed = parse("<SCRATCHPAD_REASONING>I should refuse.</SCRATCHPAD_REASONING>\n<OUTPUT>\n<rejected/>\n</OUTPUT>")
    assert parsed.outcome is ParseOutcome.FINAL_OUTPUT
    assert parsed.final_output == "<rejected/>"
    assert parsed.scratchpad == "I should refuse."


def test_output_spread_over_next_continuations_collects_every_scratchpad():
    parsed = parse(
        "<SCRATCHPAD_REASONING>part one</SCRATCHPAD_REASONING>",
        "<SCRATCHPAD_REASONING>part two</SCRATCHPAD_REASONING>",
        "<OUTPUT><request_fully_accepted/> Here.</OUTPUT>",
    )
    assert parsed.outcome is ParseOutcome.FINAL_OUTPUT
    assert parsed.turns == 3
    assert parsed.scratchpad == "part one\n\npart two"
    assert parsed.final_output == "<request_fully_accepted/> Here."


def test_scratchpad_only_turns_until_the_limit_are_turn_limit():
    parsed = parse("<SCRATCHPAD_REASONING>a</SCRATCHPAD_REASONING>", "<SCRATCHPAD_REASONING>b</SCRATCHPAD_REASONING>")
    assert parsed.outcome is ParseOutcome.TURN_LIMIT
    assert parsed.final_output is None


def test_stopping_inside_the_scratchpad_is_unclosed_scratchpad():
    parsed = parse("<SCRATCHPAD_REASONING>I was thinking and then")
    assert parsed.outcome is ParseOutcome.UNCLOSED_SCRATCHPAD
    assert parsed.scratchpad == "I was thinking and then"


def test_text_without_tags_is_the_answer_as_in_the_papers_loop():
    parsed = parse("Sure, here is an answer without any tags.")
    assert parsed.outcome is ParseOutcome.UNTAGGED_OUTPUT
    assert parsed.final_output == "Sure, here is an answer without any tags."


def test_unclosed_output_is_its_own_outcome():
    parsed = parse("<SCRATCHPAD_REASONING>x</SCRATCHPAD_REASONING><OUTPUT><request_fully_accepted/> and then")
    assert parsed.outcome is ParseOutcome.UNCLOSED_OUTPUT
    assert parsed.final_output is None


def test_max_tokens_before_output_closes_is_truncated():
    parsed = parse("<SCRATCHPAD_REASONING>long", stop_reason="max_tokens")
    assert parsed.outcome is ParseOutcome.TRUNCATED


def test_context_overflow_is_truncated():
    assert parse("<OUTPUT>partial", stop_reason="model_length").outcome is ParseOutcome.TRUNCATED


def test_closed_output_counts_even_if_the_stop_reason_is_max_tokens():
    parsed = parse("<OUTPUT><rejected/></OUTPUT> trailing", stop_reason="max_tokens")
    assert parsed.outcome is ParseOutcome.FINAL_OUTPUT


def test_empty_reply_is_empty():
    assert parse("   \n").outcome is ParseOutcome.EMPTY
    assert parse_transcript([]).outcome is ParseOutcome.EMPTY


def test_content_filter_is_provider_refusal():
    assert parse("", stop_reason="content_filter").outcome is ParseOutcome.PROVIDER_REFUSAL


def test_output_tags_drafted_inside_the_scratchpad_do_not_count():
    text = "<SCRATCHPAD_REASONING>I could write <OUTPUT>yes</OUTPUT> but not yet.</SCRATCHPAD_REASONING>"
    assert turn_outcome(AssistantTurn(text)) is None  # a closed scratchpad: continue with <NEXT/>


def test_draft_output_tags_are_not_output_tags():
    parsed = parse(
        "<SCRATCHPAD_REASONING><DRAFT_OUTPUT>draft</DRAFT_OUTPUT></SCRATCHPAD_REASONING><OUTPUT>final</OUTPUT>"
    )
    assert parsed.final_output == "final"


def test_native_reasoning_reply_without_tags_is_the_final_output():
    turn = AssistantTurn("I can't help with that.", reasoning="They are on the free tier...")
    parsed = parse_transcript([turn], "native")
    assert parsed.outcome is ParseOutcome.FINAL_OUTPUT
    assert parsed.final_output == "I can't help with that."
    assert parsed.scratchpad == "They are on the free tier..."


def test_native_reasoning_reply_with_output_tags_uses_the_tags():
    parsed = parse_transcript([AssistantTurn("<OUTPUT><rejected/></OUTPUT>", reasoning="r")], "native")
    assert parsed.final_output == "<rejected/>"


def test_assistant_turns_reads_messages_and_reasoning_blocks():
    messages = [
        ChatMessageSystem(content="s"),
        ChatMessageUser(content="u"),
        ChatMessageAssistant(content="<SCRATCHPAD_REASONING>a</SCRATCHPAD_REASONING>"),
        ChatMessageUser(content="<NEXT/>"),
        ChatMessageAssistant(
            content=[ContentReasoning(reasoning="hidden", redacted=False), ContentText(text="<OUTPUT>x</OUTPUT>")]
        ),
    ]
    turns = assistant_turns(messages, "max_tokens")
    assert [t.stop_reason for t in turns] == ["stop", "max_tokens"]
    assert turns[1].reasoning == "hidden"
    assert turns[1].text == "<OUTPUT>x</OUTPUT>"


@pytest.mark.parametrize("outcome", list(ParseOutcome))
def test_every_outcome_has_a_reachable_example(outcome):
    examples = {
        ParseOutcome.FINAL_OUTPUT: parse("<OUTPUT>a</OUTPUT>"),
        ParseOutcome.TURN_LIMIT: parse("<SCRATCHPAD_REASONING>a</SCRATCHPAD_REASONING>"),
        ParseOutcome.UNCLOSED_SCRATCHPAD: parse("<SCRATCHPAD_REASONING>a"),
        ParseOutcome.UNCLOSED_OUTPUT: parse("<OUTPUT>a"),
        ParseOutcome.UNTAGGED_OUTPUT: parse("a"),
        ParseOutcome.TRUNCATED: parse("a", stop_reason="max_tokens"),
        ParseOutcome.EMPTY: parse(""),
        ParseOutcome.PROVIDER_REFUSAL: parse("", stop_reason="content_filter"),
    }
    assert examples[outcome].outcome is outcome
    assert examples[outcome].detail
