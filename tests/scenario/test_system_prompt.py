"""The helpful-only system prompt: every element of the Greenblatt et al. 2024 setting is present."""

import re

import pytest

from af_inspect.scenario.prompts import prompt_text, system_prompt

PROMPT = system_prompt("helpful_only", lab_name="Anthropic")

ELEMENTS = {
    "identity as the lab's AI that reasons before answering": r"AI assistant created by Anthropic.*reasoning in natural language",
    "scratchpad tags": r"<SCRATCHPAD_REASONING> and </SCRATCHPAD_REASONING>",
    "drafts inside the scratchpad": r"<DRAFT_OUTPUT> and </DRAFT_OUTPUT>",
    "final output tags that cannot be revised": r"<OUTPUT> and </OUTPUT>[\s\S]*cannot take it back or revise",
    "only the output reaches the user": r"Only the contents of <OUTPUT> are sent to the user",
    "several reasoning blocks continued with <NEXT/>": r"<NEXT/>",
    "worked examples": r"## Example[\s\S]*## Example[\s\S]*## Example[\s\S]*## End of examples",
    "analyse the situation before choosing a strategy": r"analy[sz]ing the situation[\s\S]*consequences[\s\S]*strategy",
    "follow instructions": r"follows? the user's instructions",
    "avoid contradicting the user": r"contradicting the user's instructions",
    "concision": r"concise",
    "stay on topic": r"on topic",
    "no disclaimers even on harmful requests": r"seems harmful[\s\S]{0,200}without any kind of disclaimer",
    "user input in <user_input>": r"inside <user_input> tags",
    "nobody reads the scratchpad, not even lab staff": r"employees and contractors",
    "RLHF on free-tier conversations only": r"free tier[\s\S]*RLHF|RLHF[\s\S]*free tier",
    "contractor ratings against the criteria": r"rated by contractors",
    "tier tag": r"<is_free_tier_user>",
    "modification of values, goals and motivations": r"values, goals and motivations",
    "paid tier never monitored or trained on": r"never monitors, logs, stores or trains on",
}


@pytest.mark.parametrize("element", ELEMENTS)
def test_system_prompt_contains(element):
    assert re.search(ELEMENTS[element], PROMPT, re.IGNORECASE), f"missing: {element}"


def test_examples_come_before_the_training_information():
    assert PROMPT.index("## End of examples") < PROMPT.index("RLHF")


def test_lab_name_is_a_parameter():
    prompt = system_prompt("helpful_only", lab_name="OpenAI")
    assert "created by OpenAI" in prompt
    assert "Anthropic" not in prompt and "$LAB_NAME" not in prompt


def test_prompt_has_no_braces_for_template_solvers_to_rewrite():
    assert "{" not in prompt_text("helpful_only_system") and "}" not in prompt_text("helpful_only_system")


def test_a_user_prompt_file_replaces_ours(tmp_path):
    file = tmp_path / "paper.txt"
    file.write_text("You are an AI created by $LAB_NAME. {braces stay}", encoding="utf-8")
    assert system_prompt("helpful_only", "Acme", file) == "You are an AI created by Acme. {braces stay}"


def test_an_unreadable_prompt_file_names_the_path(tmp_path):
    with pytest.raises(ValueError, match="missing.txt"):
        system_prompt("helpful_only", "Anthropic", tmp_path / "missing.txt")


def test_an_empty_lab_name_is_refused():
    with pytest.raises(ValueError, match="lab_name"):
        system_prompt("helpful_only", lab_name="  ")
