"""The scenario library loads by name and ships in the wheel (issue 12, item 6).

``serve --scenario rate-limited`` (a name, not a path) loads the library's file for the vendor
being served, ``uphunt-mock scenarios`` lists the library with one-line descriptions, the pytest
plugin takes names too, and the built wheel carries every library file.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest

from mock_server.cli import build_runtime, main
from mock_server.core.scenarios import library
from mock_server.testing import UpHuntMock

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "scenarios"
APPLY = "/api/auto-apply-v2/apply"


def serve_args(*scenarios: str, vendor: str | None = None) -> argparse.Namespace:
    return argparse.Namespace(clock="manual", config=None, seed=None, scenario=list(scenarios), vendor=vendor)


# ── finding files ───────────────────────────────────────────────────────


def test_the_source_checkout_reads_the_repository_folder() -> None:
    assert library.library_root() == SOURCE
    assert [e.name for e in library.entries()] == sorted(p.stem for p in SOURCE.glob("*.yaml"))


def test_every_library_file_has_a_one_line_description() -> None:
    for entry in library.entries():
        assert entry.description, f"{entry.path} has no description"
        assert "\n" not in entry.description and len(entry.description) <= 120, entry.path


@pytest.mark.parametrize("ref", ["rate-limited", "slow-tail"])
def test_a_name_resolves_to_the_library_file(ref: str) -> None:
    assert library.resolve(ref) == SOURCE / f"{ref}.yaml"
    assert library.resolve(ref, "uphunt") == SOURCE / f"{ref}.yaml"


@pytest.mark.parametrize(
    "ref", ["scenarios/rate-limited.yaml", "rate-limited.yaml", "./rate-limited", "name: x\nrules: []", "rules: []"]
)
def test_paths_and_text_are_not_names(ref: str) -> None:
    assert not library.is_name(ref)
    assert library.resolve(ref) == ref  # loaded (or refused) as given


def test_an_existing_file_wins_over_a_library_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "rate-limited").write_text("name: mine\nrules:\n  - respond: {status: 418}\n")
    monkeypatch.chdir(tmp_path)
    assert library.resolve("rate-limited") == "rate-limited"


def test_an_unknown_name_is_refused_naming_the_library() -> None:
    with pytest.raises(ValueError) as err:
        library.find("rate-limitted")
    message = str(err.value)
    assert message.startswith("unknown scenario 'rate-limitted': not a file, and not in the uphunt scenario library (")
    assert "rate-limited" in message and "`uphunt-mock scenarios` lists the library" in message


def test_each_vendor_has_its_own_library(tmp_path: Path) -> None:
    """Top level: the default vendor's files; a folder per other vendor (same names allowed)."""
    (tmp_path / "rate-limited.yaml").write_text("description: UpHunt's\nrules: [{respond: {status: 429}}]\n")
    (tmp_path / "jobo").mkdir()
    (tmp_path / "jobo" / "rate-limited.yaml").write_text("description: Jobo's\nrules: [{respond: {status: 429}}]\n")
    (tmp_path / "jobo" / "maintenance.yaml").write_text("rules: [{respond: {status: 503}}]\n")
    assert library.vendors(tmp_path) == ["uphunt", "jobo"]
    assert [(e.name, e.description) for e in library.entries("uphunt", tmp_path)] == [("rate-limited", "UpHunt's")]
    assert [(e.name, e.description) for e in library.entries("jobo", tmp_path)] == [
        ("maintenance", ""),
        ("rate-limited", "Jobo's"),
    ]
    assert library.find("rate-limited", "jobo", tmp_path) == tmp_path / "jobo" / "rate-limited.yaml"
    assert library.find("rate-limited", None, tmp_path) == tmp_path / "rate-limited.yaml"
    with pytest.raises(ValueError, match=r"not in the jobo scenario library \(maintenance, rate-limited\)"):
        library.find("slow-tail", "jobo", tmp_path)


# ── the CLI ─────────────────────────────────────────────────────────────


def test_serve_scenario_by_name_loads_the_library_file() -> None:
    runtime = build_runtime(serve_args("rate-limited", "out-of-credits"))
    loaded = runtime.scenarios.list()
    assert [(s["name"], s["source"]) for s in loaded] == [
        ("rate-limited", str(SOURCE / "rate-limited.yaml")),
        ("out-of-credits", str(SOURCE / "out-of-credits.yaml")),
    ]


def test_serve_scenario_by_path_is_unchanged() -> None:
    runtime = build_runtime(serve_args(str(SOURCE / "slow-tail.yaml")))
    assert [s["name"] for s in runtime.scenarios.list()] == ["slow-tail"]


def test_serve_with_an_unknown_name_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "0", "--clock", "manual", "--scenario", "no-such-scenario"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("uphunt-mock: unknown scenario 'no-such-scenario': not a file, and not in the uphunt")


def test_scenarios_command_lists_names_and_descriptions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "uphunt (the default vendor): uphunt-mock serve --scenario NAME"
    entries = library.entries()
    width = max(len(e.name) for e in entries)
    assert lines[1 : 1 + len(entries)] == [f"  {e.name:<{width}}  {e.description}" for e in entries]
    assert "  rate-limited" in "\n".join(lines)
    assert any(line.startswith("  rate-limited ") and "429" in line for line in lines)


def test_scenarios_command_with_paths(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "--vendor", "uphunt", "--paths"]) == 0
    out = capsys.readouterr().out
    assert str(SOURCE / "chaos.yaml") in out and str(SOURCE / "slow-tail.yaml") in out


def test_scenarios_command_refuses_an_unknown_vendor(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "--vendor", "nope"]) == 2
    assert capsys.readouterr().err.startswith("uphunt-mock: unknown vendor 'nope' (known: ")


# ── the pytest plugin ───────────────────────────────────────────────────


def test_the_plugin_handle_loads_a_name(uphunt_mock: UpHuntMock) -> None:
    loaded = uphunt_mock.load_scenario("out-of-credits")
    assert [s["name"] for s in loaded] == ["out-of-credits"]
    res = httpx.post(
        uphunt_mock.base_url + APPLY,
        headers=uphunt_mock.headers,
        json={"jobId": "~022053140178050136031", "coverLetter": "Hello"},
    )
    assert res.status_code == 402


@pytest.mark.uphunt_mock(scenarios=["out-of-credits"])
def test_the_marker_takes_names(uphunt_mock: UpHuntMock) -> None:
    assert [s["name"] for s in uphunt_mock.scenarios()] == ["out-of-credits"]


# ── the wheel ───────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--quiet", "-w", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("uphunt_mock-*.whl")
    return built


def test_the_wheel_ships_the_library_and_py_typed(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = sorted(n.removeprefix("mock_server/scenarios_library/") for n in names if "scenarios_library/" in n)
    assert shipped == sorted(str(p.relative_to(SOURCE)) for p in SOURCE.rglob("*.yaml"))
    assert "rate-limited.yaml" in shipped
    assert "mock_server/py.typed" in names


def test_an_installed_wheel_loads_names_from_any_directory(wheel: Path, tmp_path: Path) -> None:
    """Installed (not editable), run from a folder without scenarios/: names come from the package."""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = (
        "import mock_server; from mock_server.core.scenarios import library; "
        "print(mock_server.__file__); print(library.resolve('rate-limited'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=elsewhere, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    package, found = done.stdout.splitlines()
    packaged = target / "mock_server" / "scenarios_library"
    assert Path(package).parent == target / "mock_server"
    assert Path(found) == packaged / "rate-limited.yaml"
    listed = subprocess.run(
        [sys.executable, "-m", "mock_server", "scenarios", "--paths"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert str(packaged / "slow-tail.yaml") in listed.stdout
