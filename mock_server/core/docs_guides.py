"""The mock's own guides (``docs/guide/*.md`` and ``docs/decisions.md``) rendered to HTML for ``/docs``.

The wheel ships them as package data (``mock_server/guides``, pyproject's ``force-include``); a
source checkout reads them from ``docs/``. Only files that exist are served, by the file's stem:
no part of a URL ever reaches the filesystem. Markdown is rendered by markdown-it-py (CommonMark
plus tables), with raw HTML escaped; links between guides are rewritten to their ``/docs/guides``
pages, and headings and decision-table rows get ids so ``#anchors`` work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

GUIDES_URL = "/docs/guides"


@dataclass(frozen=True)
class Guide:
    name: str  # the URL segment: the file's stem
    title: str  # the file's first heading
    path: Path

    @property
    def label(self) -> str:
        """A menu label: the title up to its first colon ("Scenarios: scripted failures" -> "Scenarios")."""
        return self.title.split(":", 1)[0].strip()


def _guide_files() -> list[Path]:
    packaged = resources.files("mock_server").joinpath("guides")
    if packaged.is_dir():
        return sorted(Path(str(packaged)).glob("*.md"), key=_order)
    docs = Path(__file__).resolve().parents[2] / "docs"
    return sorted([*(docs / "guide").glob("*.md"), *docs.glob("decisions.md")], key=_order)


def _order(path: Path) -> tuple[bool, str]:
    return path.stem == "decisions", path.stem  # the decision record last, the guides by name


@lru_cache(maxsize=1)
def guides() -> dict[str, Guide]:
    """Every guide there is, by name, in menu order."""
    found: dict[str, Guide] = {}
    for path in _guide_files():
        first = next((line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("# ")), "")
        found[path.stem] = Guide(path.stem, first[2:].strip() or path.stem, path)
    return found


@lru_cache(maxsize=32)
def render_guide(name: str) -> str:
    """The guide's HTML (a fragment for the page's ``<main>``); KeyError for a name that is not a guide."""
    return render_markdown(guides()[name].path.read_text(encoding="utf-8"))


def render_markdown(text: str) -> str:
    """Markdown to HTML as the guides need it: links between guides point at their pages, anchors work."""
    md = _markdown()
    env: dict[str, Any] = {}
    tokens = md.parse(text, env)
    _link_and_anchor(tokens, set(guides()))
    return md.renderer.render(tokens, md.options, env)


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt  # imported on the first guide request, not at start-up

    return MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def slug(text: str) -> str:
    """A heading's anchor as GitHub makes it, so links written for GitHub work here too."""
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


_DECISION_NUMBER = re.compile(r"^\d+[a-z]?$")


def _link_and_anchor(tokens: list[Any], names: set[str]) -> None:
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            token.attrSet("id", slug(tokens[i + 1].content))
        elif token.type == "tr_open":
            first_cell = tokens[i + 2] if i + 2 < len(tokens) else None
            if first_cell is not None and first_cell.type == "inline" and _DECISION_NUMBER.match(first_cell.content):
                token.attrSet("id", f"decision-{first_cell.content}")  # the targets of "#N" in the spec's notes
        elif token.type == "inline":
            for child in token.children or ():
                if child.type == "link_open":
                    _rewrite_link(child, names)


def _rewrite_link(link: Any, names: set[str]) -> None:
    href = str(link.attrGet("href") or "")
    if re.match(r"^([a-z][a-z0-9+.-]*:|#|/)", href):
        return  # absolute, in-page, or already a path on this server
    target, _, fragment = href.partition("#")
    stem = Path(target).name.removesuffix(".md")
    if target.endswith(".md") and stem in names:
        link.attrSet("href", f"{GUIDES_URL}/{stem}" + (f"#{fragment}" if fragment else ""))
    else:
        # A file of the source tree (e.g. ../../scenarios) that an installed mock does not serve: plain text.
        link.attrs.pop("href", None)
