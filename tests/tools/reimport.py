"""Brings test modules written against the old flat layout up to date (re-runnable; run from
the repository root, then `ruff check --fix tests && ruff format tests`):

- drops relative imports of support and test modules (`.helpers`, `.staff_world`,
  `.intake_support`, `.conftest`, `.test_*`) and `pytest_plugins = ["tests.test_routing_world"]`;
- `.ops_processes` / `.ops_tasks` become `tests.ops_processes` / `tests.ops_tasks`;
- `_private_media` (once an autouse fixture imported from intake_support) becomes the
  conftest fixture `private_media`, used by every test of the module;
- every name then undefined (ruff F821) that tests/builders.py, tests/helpers.py or
  tests/fake_twilio.py defines is imported from there by absolute name.
Fixtures (other_tenant, world, fake_twilio, private_media, ...) come from tests/conftest.py.
"""

import ast
import collections
import json
import re
import subprocess
import sys
from pathlib import Path

RUFF = str(Path(sys.executable).parent / "ruff")
# The modules whose contents moved into builders, helpers, fake_twilio and conftest.
OLD = re.compile(
    r"^(helpers|staff_world|intake_support|conftest|test_routing_world|test_survey_loop|"
    r"test_routing_admin|test_admin_browser|test_dashboard_socket|test_admin_transitions|"
    r"test_notify_fake_twilio)$"
)
SUPPORT = {"builders.py", "helpers.py", "fake_twilio.py", "conftest.py", "workers.py"}
# The websocket tests' worker runs in a thread (helpers.run_worker_in_thread).
ASYNC_WORKER_FROM = "test_dashboard_socket"


def defined_in(module: str) -> set[str]:
    names = set()
    for node in ast.parse(Path(f"tests/{module}.py").read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


WHERE = {n: m for m in ("fake_twilio", "helpers", "builders") for n in defined_in(m)}


def use_private_media(text: str) -> str:
    """Adds pytest.mark.usefixtures("private_media") to the module's pytestmark."""
    mark = 'pytest.mark.usefixtures("private_media")'
    if mark in text:
        return text
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            value = ast.get_source_segment(text, node.value)
            if isinstance(node.value, ast.List):
                value = value[1:-1].rstrip().rstrip(",")
            lines[node.lineno - 1 : node.end_lineno] = [f"pytestmark = [{value}, {mark}]\n"]
            return "".join(lines)
    at = max(n.end_lineno for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)))
    lines.insert(
        at, f"\n# Photos go to a fresh directory per test (conftest).\npytestmark = {mark}\n"
    )
    text = "".join(lines)
    return text if re.search(r"^import pytest$", text, re.M) else "import pytest\n" + text


def rewrite(path: Path) -> set[str]:
    """Drops the old imports; returns names that came from the async worker's module."""
    text = path.read_text()
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    cut, async_names = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and OLD.match(node.module or ""):
            if node.module == ASYNC_WORKER_FROM:
                async_names |= {a.name for a in node.names}
            cut.append((node.lineno - 1, node.end_lineno, node.col_offset))
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets
        ):
            cut.append((node.lineno - 1, node.end_lineno, node.col_offset))
    for start, end, col in sorted(cut, reverse=True):
        # An import inside a function becomes `pass` (kept valid; F821 brings the names back).
        lines[start:end] = [" " * col + "pass\n"] if col else []
    text = "".join(lines)
    # Any other relative import (a new support module, another test module) by absolute name;
    # regroup.py keeps `tests.test_x` right when test_x moves. Better: move what is shared
    # into builders.py or helpers.py.
    for other in sorted(set(re.findall(r"from \.(\w+) import", text))):
        if other.startswith("test_"):
            print(f"{path}: imports test module {other}; move what it shares into tests/helpers.py")
    text = re.sub(r"from \.(\w+) import", r"from tests.\1 import", text)
    if "_private_media" in text:
        text = use_private_media(re.sub(r"\b_private_media\b", "private_media", text))
    path.write_text(text)
    return async_names


def main() -> None:
    paths = sorted(
        p
        for p in Path("tests").rglob("*.py")
        if p.name not in SUPPORT and "tools" not in p.parts and p.name != "__init__.py"
    )
    async_names = {p: rewrite(p) for p in paths}
    found = subprocess.run(
        [RUFF, "check", "tests", "--select", "F821", "--output-format", "json"],
        capture_output=True,
        text=True,
    ).stdout
    missing = collections.defaultdict(set)
    for error in json.loads(found or "[]"):
        missing[Path(error["filename"]).resolve()].add(error["message"].split("`")[1])
    for path in paths:
        names = missing.get(path.resolve(), set())
        by_module = collections.defaultdict(list)
        for name in sorted(names):
            if name == "run_worker" and "run_worker" in async_names[path]:
                by_module["helpers"].append("run_worker_in_thread as run_worker")
            elif name in WHERE:
                by_module[WHERE[name]].append(name)
            else:
                print(f"{path}: {name} is defined nowhere in tests/ support modules")
        if not by_module:
            continue
        text = path.read_text()
        tree = ast.parse(text)
        top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
        at = max(n.end_lineno for n in top) if top else 1
        lines = text.splitlines(keepends=True)
        lines[at:at] = [f"from tests.{m} import {', '.join(ns)}\n" for m, ns in by_module.items()]
        path.write_text("".join(lines))


if __name__ == "__main__":
    main()
