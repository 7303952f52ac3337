"""The scenario library as the dashboard shows it: the ready-made files of the vendor being served.

Where the library is and how it is laid out is :mod:`mock_server.core.scenarios.library`'s (the
wheel's copy, else the source checkout's ``scenarios/``; the default vendor's files at the top level,
another vendor's in a folder named after it, ``scenarios/jobo/``); this module checks and loads them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..scenarios import library as shipped
from ..vendor import DEFAULT_VENDOR
from ..yaml_source import SourceError

if TYPE_CHECKING:
    from ..runtime import Runtime


def library_dir() -> Path | None:
    """The library folder, or None when neither the package nor the checkout has one."""
    root = shipped.library_root()
    return root if root.is_dir() else None


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
