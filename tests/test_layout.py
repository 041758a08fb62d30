"""The package's layout stays readable: imports run one way, modules stay short, copies stay equal, ruff passes."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "af_inspect"

FLOORS = ["data", "scenario", "scoring", "tasks", "report"]
"""The data flow, lowest first: a module may import from its own floor or a lower one, never a higher one."""

TOP = {"offline", "posttrain", "cli", "_registry", "__init__", "local_server"}
"""Sit on top of every floor and may import any of them."""

MAX_MODULE_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def af_imports(path: Path) -> set[str]:
    """Every af_inspect module a file imports, at top level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("af_inspect"):
            found.add(node.module)
            for alias in node.names:
                found.add(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("af_inspect")}
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return {name for name in found if name in modules}


def floor_of(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] in TOP:
        return None
    return FLOORS.index(parts[1]) if parts[1] in FLOORS else -1


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_there_is_no_import_cycle_inside_the_package():
    graph = {module_name(path): af_imports(path) - {module_name(path)} for path in SOURCES}
    # A package's __init__ is imported on the way to any of its modules, so it counts as its parent's edge.
    state: dict[str, str] = {}
    cycle: list[str] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for neighbour in sorted(graph.get(node, ())):
            if state.get(neighbour) == "open":
                cycle.extend(
                    trail[trail.index(neighbour) :] + [node, neighbour] if neighbour in trail else [node, neighbour]
                )
                return
            if neighbour not in state:
                visit(neighbour, [*trail, node])
                if cycle:
                    return
        state[node] = "done"

    for node in sorted(graph):
        if node not in state and not cycle:
            visit(node, [])
    assert not cycle, " -> ".join(cycle)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_run_down_the_floors(path):
    floor = floor_of(module_name(path))
    if floor is None:
        return
    upward = [name for name in af_imports(path) if (other := floor_of(name)) is not None and other > floor]
    assert not upward, f"{module_name(path)} (floor {FLOORS[floor] if floor >= 0 else 'base'}) imports {upward}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_source_module_is_over_400_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.relative_to(ROOT)} has {lines} lines"


def task_descriptions(path: Path) -> dict[str, str]:
    """`@task(description=...)` literals by function name."""
    found = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and getattr(decorator.func, "id", None) == "task":
                    for keyword in decorator.keywords:
                        if keyword.arg == "description":
                            found[node.name] = ast.literal_eval(keyword.value)
    return found


def test_each_root_task_file_describes_its_task_as_the_package_does():
    package = {}
    for path in (PACKAGE / "tasks").glob("*.py"):
        package |= task_descriptions(path)
    root = {}
    for path in (ROOT / "tasks").glob("*.py"):
        root |= task_descriptions(path)
    assert root and root.keys() == package.keys()
    assert root == package


def test_each_scenario_task_describes_it_as_the_scenario_registry_does():
    from af_inspect.scenario.registry import SCENARIOS

    package = {}
    for path in (PACKAGE / "tasks").glob("*.py"):
        package |= task_descriptions(path)
    for entry in SCENARIOS.values():
        assert package[f"af_{entry.name}"] == entry.description


def test_eval_yaml_has_the_package_version_and_every_task():
    version = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M).group(1)
    text = (PACKAGE / "eval.yaml").read_text(encoding="utf-8")
    assert re.search(r'^version: "(.+)"$', text, re.M).group(1) == version
    listed = set(re.findall(r"^  - name: (\S+)$", text, re.M))
    registered = set()
    for path in (PACKAGE / "tasks").glob("*.py"):
        registered |= set(task_descriptions(path))
    assert listed == registered


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).with_name("ruff")
    command = [str(ruff)] if ruff.exists() else [sys.executable, "-m", "ruff"]
    result = subprocess.run(
        [*command, "check", "--no-cache", "."], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
