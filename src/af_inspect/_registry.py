"""What Inspect loads through the `inspect_ai` entry point: the tasks and the local model provider."""

from inspect_ai.model import modelapi

from af_inspect.tasks.animal_welfare import af_animal_welfare
from af_inspect.tasks.base_model import af_base_model
from af_inspect.tasks.benign_helpfulness import af_benign_helpfulness
from af_inspect.tasks.helpful_only import af_helpful_only


@modelapi(name="af-local")
def af_local():  # noqa: ANN201 - Inspect expects the provider class back
    """llama.cpp in-process; imported lazily so the core install does not need llama-cpp-python."""
    from af_inspect.local_model import LocalLlamaAPI

    return LocalLlamaAPI


__all__ = ["af_animal_welfare", "af_base_model", "af_benign_helpfulness", "af_helpful_only", "af_local"]
