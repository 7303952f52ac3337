"""The scenario library: the ready-made ``*.yaml`` files shipped with the mock.

Looked up inside the installed package first (``mock_server/scenarios/`` once the
wheel ships the library), else in the source checkout's ``scenarios/`` folder. The default
vendor's files are at its top level, another vendor's in a folder named after it
(``scenarios/jobo/``): a mock lists and loads its own vendor's.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..vendor import DEFAULT_VENDOR
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


def vendor_dir(vendor: str | None = None) -> Path | None:
    """The folder of ``vendor``'s files: the library's top level for the default vendor (UpHunt), a
    sub-folder named after any other (``scenarios/jobo/``), as the library is laid out."""
    folder = library_dir()
    if folder is None or vendor in (None, DEFAULT_VENDOR):
        return folder
    return folder / vendor


def library_files(vendor: str | None = None) -> list[Path]:
    folder = vendor_dir(vendor)
    return sorted(folder.glob("*.yaml")) if folder is not None and folder.is_dir() else []


def find(name: str, vendor: str | None = None) -> Path | None:
    """``vendor``'s library file called ``name`` (``.yaml`` optional); None if there is none."""
    wanted = name if name.endswith(".yaml") else f"{name}.yaml"
    return next((p for p in library_files(vendor) if p.name == wanted), None)


def describe(rt: Runtime) -> dict[str, Any]:
    """The library as ``GET /_mock/scenarios/library`` shows it: each file checked, none loaded."""
    files = []
    for path in library_files(rt.vendor.name):
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
    folder = vendor_dir(rt.vendor.name)
    return {"directory": str(folder) if folder is not None and folder.is_dir() else None, "files": files}
