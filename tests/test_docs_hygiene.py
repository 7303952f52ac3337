"""What users read names only things they can see: public documentation pages, existing paths.

The project was written from copies of the public docs kept outside the repository; users never
see those copies, so code, spec and docs cite the public pages by name or URL, never our labels.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ["README.md", "docs", "mock_server", "openapi", "scenarios", "examples", "contract_tests", "bench", "tests"]
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".json", ".toml", ".txt", ".html", ".cfg"}
# Our internal label for a copied page (the word, a dash, three digits), spelled so this file has none.
INTERNAL_LABEL = re.compile(r"\b" + "SEED" + r"-\d{3}\b")


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
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if INTERNAL_LABEL.search(line)
    ]
    assert not found, "cite the public documentation page instead:\n" + "\n".join(found)


@pytest.mark.parametrize("line", ["(LABEL-003 shape)", "LABEL-000's advice", "recipes (LABEL-001/002)"])
def test_the_label_pattern_catches_the_forms_that_were_used(line: str) -> None:
    assert INTERNAL_LABEL.search(line.replace("LABEL", "SEED"))


@pytest.mark.parametrize("line", ["--seed 42", "the same seed 100 times", "SEEDS-0001"])
def test_the_label_pattern_leaves_seeds_alone(line: str) -> None:
    assert not INTERNAL_LABEL.search(line)
