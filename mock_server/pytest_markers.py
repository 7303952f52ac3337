"""What the pytest plugins (UpHunt's and Jobo's fixtures) read the same way: a marker's arguments
and the world/scenario paths they name. A module of its own so both plugins import it without
importing each other (pytest_plugin already imports pytest_jobo) or the test helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def marker_config(request: pytest.FixtureRequest, name: str, keys: frozenset[str] | set[str]) -> dict[str, Any]:
    """The keyword arguments of the closest ``@pytest.mark.<name>``; UsageError for positional or unknown ones."""
    marker = request.node.get_closest_marker(name)
    if marker and marker.args:
        raise pytest.UsageError(f"@pytest.mark.{name} takes keyword arguments only ({', '.join(sorted(keys))})")
    conf: dict[str, Any] = dict(marker.kwargs) if marker else {}
    unknown = set(conf) - set(keys)
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.{name}: unknown argument(s) {sorted(unknown)}")
    return conf


def relative_to_test(item: Any, here: Path) -> Any:
    """A file path relative to the test's directory when it does not exist relative to the working directory."""
    if isinstance(item, (str, Path)) and "\n" not in str(item) and str(item).endswith((".yaml", ".yml", ".json")):
        path = Path(item)
        if not path.exists() and (here / path).exists():
            return here / path
    return item
