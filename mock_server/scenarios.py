"""Scripted failure scenarios: YAML rules `match -> action` (see docs/guide/scenarios.md).

The engine lives in :mod:`mock_server.scenario_engine`; every Runtime has one
as ``runtime.scenarios``. This module is the stable entry point used by the
CLI (``--scenario FILE``), the control API and the pytest plugin.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .scenario_engine.engine import ScenarioEngine
from .yaml_source import SourceError

if TYPE_CHECKING:
    from .runtime import Runtime

__all__ = ["ScenarioEngine", "SourceError", "load", "load_file"]


def load_file(runtime: Runtime, path: str | Path) -> dict[str, Any]:
    """Load a scenario file into ``runtime``; a bad file raises SourceError (``FILE:LINE: reason``)."""
    return runtime.scenarios.load_file(path)


def load(runtime: Runtime, doc: str | dict[str, Any], source: str = "<python>") -> dict[str, Any]:
    return runtime.scenarios.load(doc, source)
