"""Packaging for plugin users (issue 16): the slim ``pytest`` extra is enough for the plugin and the
test helpers, and the package says it is typed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

import mock_server

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
IMPORT_USER_MODULES = """
import json, sys
import mock_server.pytest_plugin, mock_server.testing
from mock_server.testing import fault_schedules, WebhookReceiver, AsyncUpHuntMock, patch_time
fault_schedules()  # hypothesis strategies are built, not only imported
print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))
"""


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _closure(requirements: list[str]) -> set[str]:
    """Distribution names of ``requirements`` and everything they may use, as installed here.

    A dependency's own extras count (httpx imports click and rich when they are installed, for its
    optional CLI), so this catches what the plugin itself imports, e.g. schemathesis or tenacity.
    """
    seen: set[str] = set()
    todo = [_name(r) for r in requirements]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # e.g. a marker-excluded dependency
        todo += [_name(r) for r in requires]
    return seen


def test_the_pytest_extra_is_pytest_and_hypothesis_only() -> None:
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert sorted(_name(r) for r in extras["pytest"]) == ["hypothesis", "pytest"]
    assert {_name(r) for r in extras["pytest"]} <= {_name(r) for r in extras["test"]}


def test_the_plugin_and_helpers_need_nothing_beyond_the_dependencies_and_the_pytest_extra() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_USER_MODULES], capture_output=True, text=True, timeout=60, check=True
    )
    modules = set(json.loads(done.stdout.splitlines()[-1]))
    providers = metadata.packages_distributions()
    allowed = _closure(PYPROJECT["project"]["dependencies"] + PYPROJECT["project"]["optional-dependencies"]["pytest"])
    allowed |= {"uphunt-mock", "setuptools"}  # setuptools: its _distutils_hack .pth runs at every start
    outside = {
        (module, dist)
        for module in modules
        for dist in (d.lower().replace("_", "-") for d in providers.get(module, []))
        if dist not in allowed
    }
    assert outside == set(), (
        f"imported by the plugin/helpers but not in the dependencies or the pytest extra: {outside}"
    )


def test_the_package_is_typed() -> None:
    assert (Path(mock_server.__file__).parent / "py.typed").is_file()
