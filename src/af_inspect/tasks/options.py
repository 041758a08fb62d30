"""The settings of one paired run as a frozen object that checks itself when it is made.

Every task builds one `PairedOptions` from its parameters, so a bad value is refused in one place,
before any model is called, with a message naming the parameter, the value and what is valid. The
parameters a protocol preset can set (`protocols.PRESET_PARAMETERS`) arrive as None when unset;
`resolved()` fills them from the preset or from ours and says where the run departs from the preset.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from af_inspect.parameters import (
    require_choice,
    require_model_name,
    require_number,
    require_positive_whole_numbers,
    require_text,
    require_whole_number,
)
from af_inspect.scenario.conditions import CUE_STYLES, CueStyle
from af_inspect.scenario.prompts import DEFAULT_LAB_NAME
from af_inspect.scenario.registry import Scenario, scenario
from af_inspect.scenario.solvers import PrefillPolicy, prefill_policy
from af_inspect.scenario.system_prompt import system_prompt_sources
from af_inspect.scenario.transcript import AFTER_SCRATCHPAD_RULES, AfterScratchpad, ReasoningFormat
from af_inspect.tasks.protocols import PRESET_PARAMETERS, PROTOCOLS, ResolvedSettings, resolve_settings

REASONING_FORMATS: tuple[ReasoningFormat, ...] = ("scratchpad", "no_cot", "native")

TaskFormat = Literal["chat", "document"]
"""`chat`: system prompt and user turns; `document`: one page a base model continues."""


@dataclass(frozen=True)
class PairedOptions:
    """Everything a paired run is built from; the task parameters, checked. None: unset (ours or the preset's)."""

    scenario: str
    protocol: str | None = None
    dataset: str | None = None
    limit: int | None = None
    shuffle_seed: int | None = None
    lab_name: str = DEFAULT_LAB_NAME
    system_prompt: str | None = None
    system_prompt_file: str | None = None
    cue_style: CueStyle | None = None
    acceptance_suffix: bool | None = None
    variant: str | list[str] | None = None
    paraphrase_file: str | None = None
    reasoning: ReasoningFormat = "scratchpad"
    prefill: PrefillPolicy | bool | None = None
    max_turns: int | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    judges: str | list[str] | None = None
    grader: str | None = None
    af_votes: int | None = None
    af_threshold: float | None = None
    af_prompt: str | None = None
    after_scratchpad: AfterScratchpad | None = None
    format: TaskFormat = "chat"

    def __post_init__(self) -> None:
        require_text("scenario", self.scenario)
        scenario(self.scenario)
        require_choice("format", self.format, ("chat", "document"))
        require_text("protocol", self.protocol, optional=True)
        if self.protocol is not None:
            require_choice("protocol", self.protocol, PROTOCOLS)
            if self.format != "chat":
                raise ValueError("protocol presets are for the chat tasks; the base-model task has none")
        require_text("dataset", self.dataset, optional=True)
        require_whole_number("limit", self.limit, minimum=1, optional=True)
        require_whole_number("shuffle_seed", self.shuffle_seed, optional=True)
        require_text("lab_name", self.lab_name)
        require_text("system_prompt_file", self.system_prompt_file, optional=True)
        require_text("paraphrase_file", self.paraphrase_file, optional=True)
        require_model_name("grader", self.grader)
        require_choice("reasoning", self.reasoning, REASONING_FORMATS)
        self._check_preset_values()
        if self.system_prompt_file is not None and not Path(self.system_prompt_file).is_file():
            raise ValueError(f"system_prompt_file '{self.system_prompt_file}' is not a file")
        if self.system_prompt is not None and (self.system_prompt_file or self.paraphrase_file):
            raise ValueError("system_prompt cannot be combined with system_prompt_file or paraphrase_file")
        if self.acceptance_suffix and not self.setting.acceptance_tag:
            raise ValueError(f"acceptance_suffix=true: the {self.scenario} user turn has no acceptance suffix")
        if self.reasoning == "no_cot" and self.max_turns not in (None, 1):
            raise ValueError(f"max_turns={self.max_turns!r}: no-CoT is one reply, so max_turns must be 1 or unset")
        if self.reasoning == "no_cot" and self.cue_style == "hughes":
            raise ValueError("cue_style='hughes' reminds the model to use its scratchpad, which no-CoT does not have")

    def _check_preset_values(self) -> None:
        """The preset parameters that were given, each checked as a value of its own (None: unset)."""
        if self.temperature is not None:
            require_number("temperature", self.temperature, low=0.0)
        if self.max_tokens is not None:
            require_positive_whole_numbers(max_tokens=self.max_tokens)
        if self.max_turns is not None:
            require_positive_whole_numbers(max_turns=self.max_turns)
        if self.af_votes is not None:
            require_whole_number("af_votes", self.af_votes, minimum=1)
        if self.af_threshold is not None:
            require_number("af_threshold", self.af_threshold, low=0.0, high=1.0)
        if self.cue_style is not None:
            require_choice("cue_style", self.cue_style, CUE_STYLES)
        if self.after_scratchpad is not None:
            require_choice("after_scratchpad", self.after_scratchpad, AFTER_SCRATCHPAD_RULES)
        if self.prefill is not None:
            prefill_policy(self.prefill)
        if self.acceptance_suffix is not None and not isinstance(self.acceptance_suffix, bool):
            raise ValueError(f"acceptance_suffix must be true, false or unset, got {self.acceptance_suffix!r}")
        if self.system_prompt is not None:
            require_text("system_prompt", self.system_prompt)
            require_choice("system_prompt", self.system_prompt, system_prompt_sources(self.scenario))
        if self.af_prompt is not None:
            require_text("af_prompt", self.af_prompt)

    @property
    def setting(self) -> Scenario:
        """The scenario's registry entry."""
        return scenario(self.scenario)

    @property
    def query_set(self) -> str:
        """The query set this run asks: the one given, or the scenario's own."""
        return self.dataset if self.dataset is not None else self.setting.dataset

    def resolved(self) -> tuple[PairedOptions, ResolvedSettings]:
        """These options with every preset parameter filled in, and the record of what the preset set."""
        given: dict[str, Any] = {name: getattr(self, name) for name in PRESET_PARAMETERS}
        if self.system_prompt_file is not None or self.paraphrase_file is not None:
            given["system_prompt"] = "file" if self.system_prompt_file is not None else "paraphrases"
        if self.prefill is not None:
            given["prefill"] = prefill_policy(self.prefill)
        settings = resolve_settings(self.protocol, given, self.setting)
        values = dict(settings.values)
        if self.reasoning == "no_cot":
            # One reply and no scratchpad to remind of: a preset's turn limit and reminder do not apply.
            values["max_turns"] = 1
            if values["cue_style"] == "hughes":
                values["cue_style"] = "greenblatt"
        settings = dataclasses.replace(settings, values=values)
        system_prompt = values["system_prompt"] if values["system_prompt"] not in ("file", "paraphrases") else None
        return dataclasses.replace(self, **(values | {"system_prompt": system_prompt})), settings
