"""The Jobo examples of README.md and docs/guide/jobo.md stay true: the blocks marked
``(tested: tests/test_jobo_docs.py)`` run, and every file, scenario and decision they name exists."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from mock_server.testing import serve

ROOT = Path(__file__).resolve().parents[1]
DOCS = {"README.md": (ROOT / "README.md").read_text(), "jobo.md": (ROOT / "docs/guide/jobo.md").read_text()}
MARK = "(tested: tests/test_jobo_docs.py)"

pytest_plugins = ["pytester"]


def doc_blocks(language: str) -> list[tuple[str, str]]:
    """``(document, code)`` of every fenced block in ``language`` that carries the mark (dedented: a block may
    sit in a list item)."""
    out = []
    for name, text in DOCS.items():
        for match in re.finditer(rf"^( *)```{language}\n(.*?)^\1```", text, re.S | re.M):
            code = textwrap.dedent(match.group(1) + match.group(2).replace("\n" + match.group(1), "\n"))
            if MARK in code:
                out.append((name, code))
    return out


def test_the_python_examples_pass_as_written(pytester: pytest.Pytester) -> None:
    blocks = doc_blocks("python")
    assert [name for name, _ in blocks] == ["README.md", "jobo.md"]
    for i, (_, code) in enumerate(blocks):
        pytester.makepyfile(**{f"test_doc_example_{i}": code})
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:schemathesis")
    result.assert_outcomes(passed=len(blocks))


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_the_control_api_curl_example_answers_what_it_shows() -> None:
    [(_, script)] = doc_blocks("sh")
    expected = script.strip().splitlines()[-1].lstrip("# ")
    with serve(vendor="jobo") as mock:
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                              env={**os.environ, "B": mock.base_url}, check=True)  # fmt: skip
        assert done.stdout.endswith(expected), done.stdout[-500:]
        assert mock.job("3f0c8a52-5d0c-4c1e-9a53-1d2f3e4a5b6c")["state"] == "expired"


def test_every_file_scenario_and_decision_named_exists() -> None:
    text = DOCS["README.md"] + DOCS["jobo.md"]
    for path in set(
        re.findall(r"`((?:scenarios|examples|tests|contract_tests|bench|openapi)/[\w./-]+\.(?:yaml|py|md))`", text)
    ):
        assert (ROOT / path).exists(), path
    files = sorted(p.name for p in (ROOT / "scenarios/jobo").glob("*.yaml"))
    table = sorted(re.findall(r"^\| `([\w-]+\.yaml)` \|", DOCS["jobo.md"], re.M))
    # the data API's table lists exactly its files; the Auto Apply section names each of its own
    assert table == [f for f in files if not f.startswith("auto-apply-")]
    for name in (f for f in files if f.startswith("auto-apply-")):
        assert f"`{name}`" in DOCS["jobo.md"], name
    decisions = (ROOT / "docs/decisions.md").read_text()
    for number in set(re.findall(r"decision (J\d+)", text)):
        assert f"| {number} |" in decisions, number
