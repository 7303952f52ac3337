"""Scripted failure scenarios: YAML rules ``match -> action`` (see docs/guide/scenarios.md), split by concern.

* :mod:`.registry` the action registry and a vendor's :class:`~.registry.Vocabulary`;
* :mod:`.actions`  the engine's own actions (respond, drop, delay, account, webhook) and the reply;
* :mod:`.schema`   parse a scenario document (YAML/JSON), validate it against ``scenario.schema.yaml``
  plus the registered actions' schemas, and compile it into :class:`~.model.Rule` objects;
* :mod:`.model`    the compiled rules and their live counters;
* :mod:`.matching` what a rule can match on (requests, vendor triggers, webhook events);
* :mod:`.engine`   :class:`ScenarioEngine`, which wires the rules into a Runtime.

Every Runtime has one as ``runtime.scenarios``; :func:`load` and :func:`load_file` are the
entry points the CLI (``--scenario``), the control API and the pytest plugin use.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..yaml_source import SourceError
from .engine import ScenarioEngine

if TYPE_CHECKING:
    from ..runtime import Runtime

__all__ = ["ScenarioEngine", "SourceError", "load", "load_file"]


def load_file(runtime: Runtime, path: str | Path) -> dict[str, Any]:
    """Load a scenario file into ``runtime``; a bad file raises SourceError (``FILE:LINE: reason``)."""
    return runtime.scenarios.load_file(path)


def load(runtime: Runtime, doc: str | dict[str, Any], source: str = "<python>") -> dict[str, Any]:
    return runtime.scenarios.load(doc, source)
