"""The scenario library: the ready-made ``*.yaml`` files shipped with the mock.

Looked up inside the installed package first (``mock_server/scenarios/`` once the
wheel ships the library), else in the source checkout's ``scenarios/`` folder.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..yaml_source import SourceError

if TYPE_CHECKING:
    from ..runtime import Runtime


def library_dir() -> Path | None:
    """The library folder, or None when neither the package nor the checkout has one."""
    candidates = [
        Path(str(resources.files("mock_server"))) / "scenarios",
        Path(__file__).resolve().parents[3] / "scenarios",
    ]
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("*.yaml")):
            return folder
    return None


def library_files() -> list[Path]:
    folder = library_dir()
    return sorted(folder.glob("*.yaml")) if folder else []


def find(name: str) -> Path | None:
    """The library file called ``name`` (``.yaml`` optional); None if there is none."""
    wanted = name if name.endswith(".yaml") else f"{name}.yaml"
    return next((p for p in library_files() if p.name == wanted), None)


def describe(rt: Runtime) -> dict[str, Any]:
    """The library as ``GET /_mock/scenarios/library`` shows it: each file checked, none loaded."""
    files = []
    for path in library_files():
        text = path.read_text(encoding="utf-8")
        entry: dict[str, Any] = {
            "file": path.name,
            "name": None,
            "description": None,
            "rules": 0,
            "error": None,
            "text": text,
        }
        try:
            scenario = rt.scenarios.check(text, path.name)
        except SourceError as exc:
            entry["error"] = str(exc)
        else:
            entry.update(name=scenario.name, description=scenario.description, rules=len(scenario.rules))
        files.append(entry)
    folder = library_dir()
    return {"directory": str(folder) if folder else None, "files": files}
