"""The layering contracts (pyproject's [tool.importlinter]) hold on this tree, and break when they should.

`make test` runs `lint-imports` too; these tests prove the contracts are not vacuous: a copy of
the package with one forbidden import added is refused, naming the import.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copytree(ROOT / "mock_server", tree / "mock_server", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def append(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_contracts_are_kept_on_this_tree(tmp_path: Path) -> None:
    result = lint(copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("core/clock.py", "import mock_server.vendors.uphunt  # noqa", "core imports no vendor"),
        (
            "core/scheduler.py",
            "def _late() -> None:\n    from mock_server.vendors.uphunt import world  # noqa: F401  (lazy: still counted)",
            "core imports no vendor",
        ),
        (
            "vendors/uphunt/domain/ledger.py",
            "import starlette.responses  # noqa",
            "a vendor's domain imports no HTTP layer",
        ),
        ("core/journal.py", "from mock_server.core import app  # noqa", "no import cycles"),
    ],
    ids=["core-to-vendor", "lazy-core-to-vendor", "domain-to-starlette", "cycle"],
)
def test_a_forbidden_import_breaks_its_contract(tmp_path: Path, module: str, line: str, broken: str) -> None:
    tree = copy_tree(tmp_path)
    append(tree / "mock_server" / module, line)
    result = lint(tree)
    assert result.returncode != 0
    out = " ".join(result.stdout.split())  # lint-imports wraps long contract names
    assert re.search(re.escape(broken) + r"[^.]*?\)? BROKEN", out), out  # that contract, not another one
