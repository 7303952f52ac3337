"""The ready-made scenario library: found by name, listed with one-line descriptions.

The library's source is ``scenarios/`` at the root of the repository. The wheel ships the same
folder as package data, ``mock_server/scenarios_library/`` (``pyproject.toml``, hatch
``force-include``), so ``uphunt-mock serve --scenario rate-limited`` works from any directory
after ``pip install``; a source checkout (editable install) reads ``scenarios/`` directly.

Files are grouped by vendor, because two vendors may both have, say, a ``rate-limited`` file:
a file at the top level belongs to the default vendor (UpHunt: those paths, e.g.
``scenarios/out-of-connects.yaml``, were public before there was a second vendor), and every
other vendor's files sit in a folder named after it (``scenarios/jobo/maintenance.yaml``).
A name is looked up in the library of the vendor being served.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from ..vendor import DEFAULT_VENDOR, available
from ..yaml_source import safe_load

PACKAGED_DIR = "scenarios_library"  # inside the installed package (the wheel's force-include target)
SUFFIXES = (".yaml", ".yml", ".json")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")  # a scenario name (scenario.schema.yaml), no path, no text


@dataclass(frozen=True)
class Entry:
    """One library file: its name (the file name without ``.yaml``), vendor, path and description."""

    name: str
    vendor: str
    path: Path
    description: str


def library_root() -> Path:
    """The library folder: the installed package's copy, else the source checkout's ``scenarios/``."""
    packaged = resources.files("mock_server").joinpath(PACKAGED_DIR)
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "scenarios"


def vendor_dir(vendor: str | None = None, root: Path | None = None) -> Path:
    """The folder of ``vendor``'s files (the top level for the default vendor)."""
    root = library_root() if root is None else root
    vendor = vendor or DEFAULT_VENDOR
    return root if vendor == DEFAULT_VENDOR else root / vendor


def vendors(root: Path | None = None) -> list[str]:
    """Every vendor with a library: the default vendor, then one per sub-folder, by name."""
    root = library_root() if root is None else root
    folders = root.iterdir() if root.is_dir() else iter(())
    others = sorted(p.name for p in folders if p.is_dir() and not p.name.startswith(("_", ".")))
    return [DEFAULT_VENDOR, *(name for name in others if name != DEFAULT_VENDOR)]


def entries(vendor: str | None = None, root: Path | None = None) -> list[Entry]:
    """``vendor``'s library files, by name, each with the ``description`` written in it."""
    vendor = vendor or DEFAULT_VENDOR
    folder = vendor_dir(vendor, root)
    if not folder.is_dir():
        return []
    found = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in SUFFIXES)
    return [Entry(p.stem, vendor, p, _description(p)) for p in found]


def is_name(ref: str) -> bool:
    """``rate-limited`` is a library name; ``rate-limited.yaml``, ``./x``, ``dir/x`` or YAML text are not."""
    return _NAME.fullmatch(ref) is not None and not ref.endswith(SUFFIXES)


def find(name: str, vendor: str | None = None, root: Path | None = None) -> Path:
    """The library file called ``name`` for ``vendor``; ValueError naming the ones there are."""
    vendor = vendor or DEFAULT_VENDOR
    for entry in entries(vendor, root):
        if entry.name == name:
            return entry.path
    names = ", ".join(e.name for e in entries(vendor, root)) or "none"
    raise ValueError(
        f"unknown scenario {name!r}: not a file, and not in the {vendor} scenario library ({names}); "
        "`uphunt-mock scenarios` lists the library"
    )


def resolve(ref: str | Path, vendor: str | None = None) -> str | Path:
    """What ``--scenario REF`` loads: an existing path as given, else a library name's file."""
    if isinstance(ref, Path) or not is_name(ref) or Path(ref).exists():
        return ref
    return find(ref, vendor)


def _description(path: Path) -> str:
    """The file's ``description`` (first line), or "" when it has none or does not parse."""
    try:
        doc = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ""
    text = doc.get("description") if isinstance(doc, dict) else None
    return str(text).strip().splitlines()[0] if text else ""


# ── `uphunt-mock scenarios` ─────────────────────────────────────────────


HELP = "list the ready-made scenarios that `serve --scenario NAME` loads by name"


def configure_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("--vendor", default=None, help="only this vendor's library (default: every vendor's)")
    p.add_argument("--paths", action="store_true", help="also print each file's path")


def main(args: argparse.Namespace) -> int:
    """Print the library, one ``name  description`` line per file, grouped by vendor."""
    root = library_root()
    known = sorted(set(vendors(root)) | set(available()))
    if args.vendor is not None and args.vendor not in known:
        raise ValueError(f"unknown vendor {args.vendor!r} (known: {', '.join(known)})")
    chosen = [args.vendor] if args.vendor is not None else vendors(root)
    for i, vendor in enumerate(chosen):
        found = entries(vendor, root)
        if i:
            print()
        if vendor == DEFAULT_VENDOR:
            print(f"{vendor} (the default vendor): uphunt-mock serve --scenario NAME")
        else:
            print(f"{vendor}: uphunt-mock serve --vendor {vendor} --scenario NAME")
        if not found:
            print("  (no ready-made scenarios yet)")
        width = max((len(e.name) for e in found), default=0)
        for e in found:
            line = f"  {e.name:<{width}}  {e.description}".rstrip()
            print(f"{line}\n  {'':<{width}}  {e.path}" if args.paths else line)
    return 0
