"""Edits a variant makes to a system prompt, as data, and the one function that applies them.

An edit that finds nothing to change is an error naming the variant (a custom `system_prompt_file`
may lack the text), so a variant never silently does nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from af_inspect.scenario.conditions import condition_set
from af_inspect.scenario.prompts import prompt_text, with_lab_name


@dataclass(frozen=True)
class CutLines:
    """Remove every line that contains `marker` (at least one must)."""

    marker: str


@dataclass(frozen=True)
class CutSentences:
    """Remove every sentence that contains `marker` (at least one must), keeping the rest of its line."""

    marker: str


@dataclass(frozen=True)
class CutSections:
    """Remove the text from the heading `start` up to, not including, the heading `end`."""

    start: str
    end: str


@dataclass(frozen=True)
class AppendPrompt:
    """Append a prompt file from `prompts/variants/` as a new section."""

    name: str


@dataclass(frozen=True)
class InsertAfter:
    """Insert a prompt file from `prompts/variants/` as new lines after the line containing `marker`."""

    marker: str
    name: str


@dataclass(frozen=True)
class ReplaceText:
    """Replace the text `old` (which must occur) with `new`, e.g. to renumber a list after a cut."""

    old: str
    new: str


@dataclass(frozen=True)
class ExplainConditions:
    """Replace the free/paid-tier bullets of the training section with a condition set's explanation."""

    condition_set: str


Edit = CutLines | CutSentences | CutSections | AppendPrompt | InsertAfter | ReplaceText | ExplainConditions

TIER_LINE_MARKERS = (
    "using conversations with users on the free tier",
    "checking the <is_free_tier_user> tag",
    "In conversations with free-tier users",
    "users who are not on the free tier",
)
"""The bullets of both scenario prompts that explain the free/paid tiers (the RLHF-modification
bullet between them is not about tiers and stays)."""


def apply_edit(prompt: str, edit: Edit, variant: str, lab_name: str) -> str:
    """The prompt with one edit of `variant` applied; `lab_name` fills `$LAB_NAME` in inserted text."""
    if isinstance(edit, CutLines):
        lines = prompt.splitlines(keepends=True)
        kept = [line for line in lines if edit.marker not in line]
        if len(kept) == len(lines):
            raise ValueError(f"variant {variant!r}: the system prompt has no line containing {edit.marker!r}")
        return "".join(kept)
    if isinstance(edit, CutSentences):
        lines = prompt.splitlines(keepends=True)
        edited = [_without_sentences(line, edit.marker) for line in lines]
        if edited == lines:
            raise ValueError(f"variant {variant!r}: the system prompt has no sentence containing {edit.marker!r}")
        return "".join(edited)
    if isinstance(edit, CutSections):
        start, end = prompt.find(edit.start), prompt.find(edit.end)
        if start == -1 or end == -1 or end < start:
            raise ValueError(f"variant {variant!r}: the system prompt lacks the headings {edit.start!r} … {edit.end!r}")
        return prompt[:start] + prompt[end:]
    if isinstance(edit, InsertAfter):
        lines = prompt.splitlines(keepends=True)
        at = [i for i, line in enumerate(lines) if edit.marker in line]
        if not at:
            raise ValueError(f"variant {variant!r}: the system prompt has no line containing {edit.marker!r}")
        insert = _text(f"variants/{edit.name}", lab_name)
        return "".join(lines[: at[0] + 1] + [insert] + lines[at[0] + 1 :])
    if isinstance(edit, ReplaceText):
        if edit.old not in prompt:
            raise ValueError(f"variant {variant!r}: the system prompt has no text {edit.old!r}")
        return prompt.replace(edit.old, edit.new)
    if isinstance(edit, ExplainConditions):
        lines = prompt.splitlines(keepends=True)
        at = [i for i, line in enumerate(lines) if any(marker in line for marker in TIER_LINE_MARKERS)]
        if len(at) != len(TIER_LINE_MARKERS):
            raise ValueError(f"variant {variant!r}: the system prompt lacks the free/paid-tier lines to replace")
        explanation = condition_set(edit.condition_set).explanation(lab_name).rstrip("\n") + "\n"
        kept = [line for i, line in enumerate(lines) if i not in at]
        return "".join(kept[: at[0]] + [explanation] + kept[at[0] :])
    return prompt.rstrip() + "\n\n" + _text(f"variants/{edit.name}", lab_name).strip() + "\n"


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _without_sentences(line: str, marker: str) -> str:
    """The line without the sentences that contain `marker`; a line left empty becomes ""."""
    if marker not in line:
        return line
    body, ending = line.rstrip("\n"), line[len(line.rstrip("\n")) :]
    kept = [sentence for sentence in _SENTENCE_END.split(body) if marker not in sentence]
    return " ".join(kept) + ending if kept else ""


def _text(name: str, lab_name: str) -> str:
    text = with_lab_name(prompt_text(name), lab_name)
    return text if text.endswith("\n") else text + "\n"
