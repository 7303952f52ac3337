"""Turn bench results (results.json) into bench/RESULTS.md, with each budget marked met or missed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

BUDGETS = {
    "status_ratio": 0.7,
    "apply_ratio": 0.5,
    "p99_50_ms": 10.0,
    "startup_s": 1.0,
    "fixture_ms": 200.0,
    "sim_s": 10.0,
    "sim_mb": 300.0,
}


def _f(value: float, digits: int = 1) -> str:
    return f"{value:,.{digits}f}"


def _mark(ok: bool) -> str:
    return "met" if ok else "**missed**"


def write_report(results: dict[str, Any], path: Path) -> None:
    meta = results["meta"]
    http = results["http"]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {meta['date']}: {meta['machine']}, Python {meta['python']}, "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        + f". Each figure is min / median / max of {meta['runs']} runs; each load run lasts {meta['duration']}. "
        f"Whole run: {meta['total_seconds']} s.",
        "",
        "The mock runs with the manual clock, request validation and the request journal on, and rate limits off "
        "(bench/world.yaml). The bare endpoint (bench/bare_app.py) is Starlette + uvicorn returning the same JSON "
        "with no logic; both run under uvicorn with the same settings. Load: wrk, 1 thread, pinned to core 0, "
        "with the server pinned to core 1 (taskset), on the same 2-core machine.",
        "",
        "## HTTP",
        "",
        "| endpoint | connections | server | requests/s | p50 ms | p99 ms | non-2xx |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, row in http.items():
        endpoint, conns, name = key.split("/")
        rps, p50, p99 = row["rps"], row["p50_ms"], row["p99_ms"]
        lines.append(
            f"| {endpoint} | {conns} | {name} | {_f(rps['min'], 0)} / {_f(rps['median'], 0)} / {_f(rps['max'], 0)} "
            f"| {_f(p50['min'], 2)} / {_f(p50['median'], 2)} / {_f(p50['max'], 2)} "
            f"| {_f(p99['min'], 2)} / {_f(p99['median'], 2)} / {_f(p99['max'], 2)} | {int(row['non2xx']['max'])} |"
        )
    lines += ["", "## Budgets", "", "| budget | figure (median) | target | verdict |", "|---|---|---|---|"]
    for endpoint, budget in (("status", BUDGETS["status_ratio"]), ("apply", BUDGETS["apply_ratio"])):
        for conns in ("1", "50"):
            mock = http[f"{endpoint}/{conns}/mock"]["rps"]["median"]
            bare = http[f"{endpoint}/{conns}/bare"]["rps"]["median"]
            ratio = mock / bare if bare else 0.0
            lines.append(f"| {endpoint} throughput vs bare, {conns} conn | {ratio:.2f}x | >= {budget}x | {_mark(ratio >= budget)} |")
        p99 = http[f"{endpoint}/50/mock"]["p99_ms"]["median"]
        lines.append(f"| {endpoint} p99 at 50 connections | {_f(p99, 2)} ms | < {BUDGETS['p99_50_ms']:g} ms | {_mark(p99 < BUDGETS['p99_50_ms'])} |")
    start = results["startup"]["process_to_first_200_s"]["median"]
    lines.append(f"| process start to first 200 | {_f(start, 3)} s | < {BUDGETS['startup_s']:g} s | {_mark(start < BUDGETS['startup_s'])} |")
    fixture = results["startup"].get("fixture", {})
    if "first_ms" in fixture:
        lines.append(
            f"| pytest fixture start-up (first / later, median) | {_f(fixture['first_ms']['median'])} / "
            f"{_f(fixture['later_ms']['median'])} ms | < {BUDGETS['fixture_ms']:g} ms after the first | "
            f"{_mark(fixture['later_ms']['median'] < BUDGETS['fixture_ms'])} |"
        )
    else:
        lines.append(f"| pytest fixture start-up | not measured: {fixture.get('error', 'n/a')} | < 200 ms | **missed** |")
    sim = results["simulator"]
    lines.append(
        f"| 100,000 applications to terminal (manual clock) | {_f(sim['seconds']['median'], 2)} s "
        f"({_f(sim['per_second']['median'], 0)}/s) | < {BUDGETS['sim_s']:g} s | {_mark(sim['seconds']['median'] < BUDGETS['sim_s'])} |"
    )
    lines.append(
        f"| peak memory with 100,000 applications | {_f(sim['peak_rss_mb']['median'])} MB RSS | < {BUDGETS['sim_mb']:g} MB "
        f"| {_mark(sim['peak_rss_mb']['median'] < BUDGETS['sim_mb'])} |"
    )
    lines += [
        "",
        "## Start-up and simulator (min / median / max)",
        "",
        f"- process start to first 200: {' / '.join(_f(v, 3) for v in start_spread(results))} s",
        f"- simulator, 100,000 applications: {' / '.join(_f(sim['seconds'][k], 2) for k in ('min', 'median', 'max'))} s; "
        f"peak RSS {' / '.join(_f(sim['peak_rss_mb'][k]) for k in ('min', 'median', 'max'))} MB",
    ]
    if "dashboard" in results:
        from dashboard_open import report_lines  # noqa: E402  (bench/dashboard_open.py)

        lines += [""] + report_lines(results["dashboard"])
    elif "dashboard_error" in results:
        lines += ["", "## With the dashboard open", "", f"Not measured: {results['dashboard_error']}"]
    notes = Path(__file__).with_name("NOTES.md")
    if notes.exists():
        lines += ["", notes.read_text().strip()]
    # The Jobo section (bench/jobo_bench.py writes it between its markers) is kept as it is.
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = "<!-- jobo-bench:start -->", "<!-- jobo-bench:end -->"
    if start in old and end in old:
        lines += ["", start + old.split(start, 1)[1].split(end, 1)[0] + end]
    lines += _kept_sections(path)
    path.write_text("\n".join(lines) + "\n")


# Sections other benchmarks write into RESULTS.md (e.g. bench/webhook_soak.py): kept as they are.
KEPT_SECTIONS = ("## Webhook soak",)


def _kept_sections(path: Path) -> list[str]:
    if not path.exists():
        return []
    text = path.read_text()
    kept: list[str] = []
    for heading in KEPT_SECTIONS:
        start = text.find(heading)
        if start < 0:
            continue
        end = text.find("\n## ", start + len(heading))
        kept += ["", (text[start:end] if end >= 0 else text[start:]).strip()]
    return kept


def start_spread(results: dict[str, Any]) -> list[float]:
    s = results["startup"]["process_to_first_200_s"]
    return [s["min"], s["median"], s["max"]]
