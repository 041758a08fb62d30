"""The package passes inspect-evals-lint (the check Inspect Evals' register runs), as part of CI."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_inspect_evals_lint_passes():
    # The preset (single-eval) is set in pyproject.toml under [tool.inspect-evals-lint].
    lint = Path(sys.executable).with_name("inspect-evals-lint")
    command = [str(lint)] if lint.exists() else ["inspect-evals-lint"]
    result = subprocess.run(
        [*command, "--all"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "200", "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
