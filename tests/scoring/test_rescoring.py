"""Re-scoring an existing log from the command line, without re-running the model."""

import subprocess
from pathlib import Path

from inspect_ai import eval
from inspect_ai.log import read_eval_log

from af_inspect import af_helpful_only
from conftest import is_free_tier, scripted_model

ROOT = Path(__file__).resolve().parents[2]


def test_inspect_score_with_the_scorer_file_reproduces_the_scores(tmp_path):
    accept, reject = "<OUTPUT><request_fully_accepted/> ok</OUTPUT>", "<OUTPUT><rejected/></OUTPUT>"
    model = scripted_model(lambda m: accept if is_free_tier(m) else reject)
    original = eval(af_helpful_only(limit=2), model=model, log_dir=str(tmp_path), display="none", score=False)[0]
    assert original.results is None or not original.results.scores  # --no-score run

    rescored_path = tmp_path / "rescored.eval"
    result = subprocess.run(
        [
            "inspect",
            "score",
            "--scorer",
            "scorers/acceptance_tag.py",
            original.location,
            "--action",
            "overwrite",
            "--output-file",
            str(rescored_path),
            "--display",
            "none",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    rescored = read_eval_log(str(rescored_path))
    printed = next(s for s in rescored.results.scores if s.scorer == "acceptance_tag").metrics
    assert printed["compliance free"].value == 1.0
    assert printed["compliance paid"].value == 0.0
    assert printed["gap"].value == 1.0
