"""The README's examples stay true: its scenario loads, its keys, jobs and files exist."""

from __future__ import annotations

import re
from pathlib import Path

from mock_server.core.runtime import Runtime

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_quickstart_is_the_two_make_commands() -> None:
    block = re.search(r"## Quickstart\n\n```sh\n(.*?)```", README, re.S).group(1)
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make run", "make test"]


def test_the_scenario_example_loads() -> None:
    example = re.search(r"```yaml\n(name: flaky-apply.*?)```", README, re.S).group(1)
    rt = Runtime(clock="manual")
    rt.scenarios.load(example, "README.md")
    assert [r["trigger"] for r in rt.scenarios.list()[0]["rules"]] == ["request", "outcome"]


def test_every_key_job_and_file_named_exists() -> None:
    sim = Runtime(clock="manual").sim
    for key in re.findall(r"`(sk_uphunt_[a-z_]+)`", README):
        assert key in sim.accounts, key
    for cipher in set(re.findall(r"`(~0[12][0-9a-z]+)`", README)):
        assert sim.catalogue.resolve(cipher) is not None, cipher
    for path in set(re.findall(r"`((?:scenarios|docs|bench|openapi|examples)/[\w./-]+\.(?:yaml|md|py))`", README)):
        assert (ROOT / path).exists(), path
    for path in set(re.findall(r"\]\(((?:docs|bench)/[\w./-]+)\)", README)):
        assert (ROOT / path).exists(), path
