"""The docs cite public pages, never files outside the repository (issue 16): docs/decisions.md lists
them by name with their URLs, the spec's x-mock-sources the same, and the pages the code and the
guides cite by name are among them (issue 12: names, not internal labels; see test_docs_hygiene)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), *sorted((ROOT / "openapi").glob("*.yaml"))]
TABLE_ROW = re.compile(r"^\| \[([^\]]+)\]\((https://[^)]+)\) \|", re.M)
# The UpHunt pages that comments, the spec's descriptions and the guides cite by name.
CITED = ["Error Reference", "Check Status", "How Auto-Apply Works", "Get Client Jobs"]


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


def test_every_page_cited_by_name_is_listed_with_its_public_url() -> None:
    table = sources_table()
    assert all(url.startswith("https://") for url in table.values())
    assert set(CITED) <= set(table), sorted(set(CITED) - set(table))
    cited_somewhere = {name for name in CITED for p in DOCS if name in p.read_text(encoding="utf-8").replace("\n", " ")}
    assert cited_somewhere == set(CITED)


def test_the_spec_sources_are_the_decisions_sources() -> None:
    spec = yaml.safe_load((ROOT / "openapi" / "uphunt.yaml").read_text(encoding="utf-8"))
    table = sources_table()
    assert spec["x-mock-decisions-document"] == "docs/decisions.md"
    for source_id, url in spec["x-mock-sources"].items():
        assert table[source_id].rstrip("/") == url.rstrip("/"), source_id
