"""The docs cite public pages, never files outside the repository (issue 16), and every source id
they use (SEED-000 ...) is defined in docs/decisions.md and, for UpHunt, in the spec's x-mock-sources."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "openapi").glob("*.yaml"))]
TABLE_ROW = re.compile(r"^\| (SEED-\d{3}|[A-Z]+) \| .*?\((https://[^)]+)\)", re.M)


def sources_table() -> dict[str, str]:
    text = (ROOT / "docs" / "decisions.md").read_text(encoding="utf-8")
    return dict(TABLE_ROW.findall(text.split("## Sources", 1)[1].split("\n## ", 1)[0]))


def test_no_document_cites_a_file_outside_the_repository() -> None:
    named = re.compile(r"\.\./shared|shared/reference|shared/seeds")
    offenders = []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        offenders += [
            f"{path.relative_to(ROOT)}:{i}" for i, line in enumerate(text.splitlines(), 1) if named.search(line)
        ]
        for target in re.findall(r"\]\(([^)#\s]+)", text) if path.suffix == ".md" else []:
            if not re.match(r"[a-z]+:", target) and ROOT not in (path.parent / target).resolve().parents:
                offenders.append(f"{path.relative_to(ROOT)}: link {target}")
    assert offenders == []


def test_every_source_id_used_is_defined_with_a_public_page() -> None:
    table = sources_table()
    assert all(url.startswith("https://") for url in table.values())
    used = {m for p in DOCS for m in re.findall(r"\bSEED-\d{3}\b", p.read_text(encoding="utf-8"))}
    assert used and used <= set(table), sorted(used - set(table))


def test_the_spec_sources_are_the_decisions_sources() -> None:
    spec = yaml.safe_load((ROOT / "openapi" / "uphunt.yaml").read_text(encoding="utf-8"))
    table = sources_table()
    assert spec["x-mock-decisions-document"] == "docs/decisions.md"
    for source_id, url in spec["x-mock-sources"].items():
        assert table[source_id].rstrip("/") == url.rstrip("/"), source_id
