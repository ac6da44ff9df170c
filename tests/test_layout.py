"""The package's shape: what the wheel ships, and imports kept at module level."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "task_master_llm"


def test_no_import_inside_a_function() -> None:
    """Every import of the package is at module level: none tucked into a function to
    dodge an import circle (import-linter checks there is no circle)."""
    tucked = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for inner in ast.walk(node):
                    if isinstance(inner, (ast.Import, ast.ImportFrom)):
                        tucked.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    assert tucked == []


def test_the_wheel_ships_the_package_without_the_stand_ins(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(PACKAGE, source / "task_master_llm",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-v", "-w", str(out), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = result.stdout + result.stderr
    assert "would be ignored" not in log and "absent from the `packages`" not in log
    (wheel,) = out.glob("task_master_llm-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith(("standins/", "task_master_llm/testing/",
                                                  "tests/", "examples/", "benchmarks/"))]
    assert "task_master_llm/templates/task_master_llm/registry.html" in names
    assert "task_master_llm/templates/task_master_llm/agents.html" in names
    assert "task_master_llm/static/task_master_llm/registry.css" in names
    assert any(n.startswith("task_master_llm/static/") and n.endswith(".js") for n in names)
    assert "task_master_llm/py.typed" in names
    for module in ("core/services.py", "web/context.py", "net/failures.py", "store/keys.py"):
        assert f"task_master_llm/{module}" in names, module
