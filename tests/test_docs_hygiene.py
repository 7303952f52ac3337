"""What users read names only things they can see: public documentation pages, existing paths.

The project was written from copies of the public docs kept outside the repository; users never
see those copies, so code, spec and docs cite the public pages by name or URL, never our labels.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ["README.md", "docs", "mock_server", "openapi", "scenarios", "examples", "contract_tests", "bench", "tests"]
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".json", ".toml", ".txt", ".html", ".cfg"}
# Our internal label for a copied page (seed, a separator, three digits: the labels run 000-004),
# spelled so this file has none.
INTERNAL_LABEL = re.compile(r"(?<![A-Za-z])" + "SEED" + r"[-_ ]?00\d(?!\d)", re.IGNORECASE)


def project_files() -> list[Path]:
    files: list[Path] = []
    for name in SHIPPED:
        top = ROOT / name
        candidates = [top] if top.is_file() else top.rglob("*")
        files += [p for p in candidates if p.is_file() and p.suffix in TEXT_SUFFIXES and "__pycache__" not in p.parts]
    return sorted(files)


def test_no_internal_source_labels() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in project_files()
        # errors="replace": tests/hostile holds files that are not UTF-8 on purpose
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
        if INTERNAL_LABEL.search(line)
    ]
    assert not found, "cite the public documentation page instead:\n" + "\n".join(found)


@pytest.mark.parametrize(
    "line",
    [
        "(LABEL-003 shape)",
        "LABEL-000's advice",
        "recipes (LABEL-001/002)",
        "answers label 004's 503",
        "LABEL_003_BUYER",
    ],
)
def test_the_label_pattern_catches_the_forms_that_were_used(line: str) -> None:
    assert INTERNAL_LABEL.search(line.replace("LABEL", "SEED").replace("label", "seed"))


@pytest.mark.parametrize("line", ["--seed 42", "the same seed 100 times", "SEEDS-0001", "seed: 3", "--seed 0"])
def test_the_label_pattern_leaves_seeds_alone(line: str) -> None:
    assert not INTERNAL_LABEL.search(line)


# ── paths named in the docs exist ──────────────────────────────────────

DOCS = sorted([ROOT / "README.md", ROOT / "CONTRIBUTING.md", *(ROOT / "docs").rglob("*.md")])
# A backticked repository path: from the root, or inside the package (`core/app.py` in docs/architecture.md).
ROOTED = ("mock_server/", "openapi/", "scenarios/", "docs/", "tests/", "contract_tests/", "examples/", "bench/")
IN_PACKAGE = ("core/", "vendors/", "testing/")
_PREFIXES = "|".join(re.escape(p) for p in ROOTED + IN_PACKAGE)
PATH = re.compile(r"`((?:" + _PREFIXES + r")[\w./-]*)`")
MODULE = re.compile(r"`(mock_server(?:\.\w+)+)")  # a dotted name, up to any call parentheses


def wheel_only() -> dict[str, str]:
    """Paths that exist only in the wheel (hatch force-include): wheel path -> source path."""
    table = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    return {dest.rstrip("/") + "/": src.rstrip("/") + "/" for src, dest in table.get("force-include", {}).items()}


def source_path(named: str) -> Path:
    for wheel_prefix, source_prefix in wheel_only().items():
        if (named + "/").startswith(wheel_prefix):
            named = source_prefix + (named + "/")[len(wheel_prefix) :]
            break
    if named.startswith(IN_PACKAGE):
        named = "mock_server/" + named
    return ROOT / named.rstrip("/")


def named_paths() -> list[tuple[str, str]]:
    return [
        (doc.relative_to(ROOT).as_posix(), m) for doc in DOCS for m in PATH.findall(doc.read_text(encoding="utf-8"))
    ]


def test_the_docs_name_the_package_layout() -> None:
    names = {name for _, name in named_paths()}
    assert {"mock_server/core/", "mock_server/vendors/uphunt/domain/", "mock_server/core/vendor.py"} <= names
    assert "mock_server/scenarios_library/" in names  # wheel-only, mapped to scenarios/


def test_every_path_named_in_the_docs_exists() -> None:
    missing = [f"{doc}: `{name}`" for doc, name in named_paths() if not source_path(name).exists()]
    assert not missing, "paths named in the docs that do not exist:\n" + "\n".join(missing)


def test_every_module_named_in_the_docs_imports() -> None:
    broken = []
    for doc in DOCS:
        for dotted in MODULE.findall(doc.read_text(encoding="utf-8")):
            parts = dotted.split(".")
            for cut in range(len(parts), 0, -1):  # the longest importable prefix, then attributes
                try:
                    obj: object = importlib.import_module(".".join(parts[:cut]))
                except ImportError:
                    continue
                try:
                    for attr in parts[cut:]:
                        obj = getattr(obj, attr)
                except AttributeError:
                    broken.append(f"{doc.relative_to(ROOT)}: `{dotted}`")
                break
            else:
                broken.append(f"{doc.relative_to(ROOT)}: `{dotted}`")
    assert not broken, "names in the docs that do not import:\n" + "\n".join(broken)
