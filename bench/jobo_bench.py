"""Jobo's large bodies: a feed page of 1,000 full jobs and a search page of 100, mock vs bare Starlette.

    python bench/jobo_bench.py            # also run by `make bench` (bench/run.py), after the UpHunt figures

Both servers run in the same run on the same machine: the Jobo mock (`uphunt-mock serve --vendor jobo`,
bench/jobo_world.yaml: the default 20,000-job catalogue standing still) and bench/jobo_bare_app.py, a
bare Starlette app answering the very bytes the mock answered (captured first). Load: wrk, 1 and 10
connections, RUNS runs of DURATION each, the same pinning as bench/run.py. Also measured in-process:
encoding each body with the standard json module and with orjson, and the mock's whole pipeline per
request without a socket. Results go to bench/jobo_results.json and to the Jobo section of
bench/RESULTS.md (between markers; the rest of the file is left alone). Nothing here is a test.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

import httpx  # noqa: E402
from run import DURATION, PY, RUNS, Server, spread, wrk  # noqa: E402  (bench/run.py: the shared harness)

KEY = "jbe_live_BenchKeyUphuntMockJobo00000_FeedSubscriptionAndAWalletNoBenchmarkEmpties0"
WORLD = HERE / "jobo_world.yaml"
TARGET = 0.5  # the budget: at least half the bare endpoint's throughput
CONNECTIONS = (1, 10)
START, END = "<!-- jobo-bench:start -->", "<!-- jobo-bench:end -->"
ENDPOINTS = {
    "feed": ("jobo_feed.lua", "/api/jobs/feed", "a feed page of 1,000 full jobs"),
    "search": ("jobo_search.lua", "/api/jobs?page_size=100", "a search page of 100 jobs"),
}


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def mock_server() -> Server:
    args = [PY, "-m", "mock_server", "serve", "--vendor", "jobo", "--port", "{port}", "--clock", "manual"]
    return Server([*args, "--config", str(WORLD)], "/_mock/health")


def bare_server(feed: Path, search: Path) -> Server:
    os.environ["JOBO_FEED_BODY"], os.environ["JOBO_SEARCH_BODY"] = str(feed), str(search)
    args = [PY, "-m", "uvicorn", "bench.jobo_bare_app:app", "--port", "{port}", "--log-level", "warning"]
    return Server([*args, "--no-access-log"], "/api/jobs")


def capture(mock: Server) -> dict[str, bytes]:
    """The mock's answers (after one warm-up each, so caches are as they are under load)."""
    headers = {"X-Api-Key": KEY}
    out = {}
    for _ in range(2):
        feed = httpx.post(mock.url("/api/jobs/feed"), json={"batch_size": 1000}, headers=headers, timeout=60)
        search = httpx.get(mock.url("/api/jobs?page_size=100"), headers=headers, timeout=60)
        assert feed.status_code == search.status_code == 200, (feed.text[:200], search.text[:200])
        assert len(feed.json()["jobs"]) == 1000 and len(search.json()["jobs"]) == 100
        out = {"feed": feed.content, "search": search.content}
    return out


def http_benchmarks(results: dict[str, Any]) -> dict[str, bytes]:
    with mock_server() as mock:
        bodies = capture(mock)
        results["bytes"] = {name: len(body) for name, body in bodies.items()}
        files = {}
        for name, body in bodies.items():
            handle, path = tempfile.mkstemp(suffix=f"-jobo-{name}.json")
            os.write(handle, body)
            os.close(handle)
            files[name] = Path(path)
        try:
            with bare_server(files["feed"], files["search"]) as bare:
                same = httpx.get(bare.url("/api/jobs?page_size=100")).content == bodies["search"]
                assert same, "the bare app must serve the mock's bytes"
                for endpoint, (script, path, _) in ENDPOINTS.items():
                    for conns in CONNECTIONS:
                        for name, server in (("mock", mock), ("bare", bare)):
                            runs = [wrk(server.url(path), conns, script, {"API_KEY": KEY}) for _ in range(RUNS)]
                            results["http"][f"{endpoint}/{conns}/{name}"] = {
                                key: spread([r[key] for r in runs]) for key in ("rps", "p50_ms", "p99_ms", "non2xx")
                            }
        finally:
            for path in files.values():
                path.unlink()
    return bodies


async def _call(app: Any, method: str, path: str, query: bytes, body: bytes) -> None:
    headers = [(b"x-api-key", KEY.encode()), (b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]  # fmt: skip
    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": query,
             "headers": headers, "http_version": "1.1", "scheme": "http", "server": ("127.0.0.1", 80),
             "client": ("127.0.0.1", 1), "root_path": "", "app": app}  # fmt: skip
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        return None

    await app(scope, receive, send)


def inprocess_benchmarks(results: dict[str, Any], bodies: dict[str, bytes]) -> None:
    """Encoding each body (json vs orjson) and the mock's whole pipeline per request, without a socket."""
    import orjson

    from mock_server.core.app import create_app
    from mock_server.core.runtime import Runtime
    from mock_server.core.vendor import get_vendor

    app = create_app(Runtime(get_vendor("jobo").load_world(WORLD), clock="manual"))
    stdlib = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    calls = {"feed": ("POST", "/api/jobs/feed", b"", b'{"batch_size":1000}'),
             "search": ("GET", "/api/jobs", b"page_size=100", b"")}  # fmt: skip
    for name, (method, path, query, body) in calls.items():
        asyncio.run(_call(app, method, path, query, body))  # warm the caches
        n = 20 if name == "feed" else 200

        async def many(method: str = method, path: str = path, query: bytes = query, body: bytes = body,
                       n: int = n) -> float:  # fmt: skip
            started = time.perf_counter()
            for _ in range(n):
                await _call(app, method, path, query, body)
            return (time.perf_counter() - started) / n * 1000

        pipeline = [asyncio.run(many()) for _ in range(RUNS)]
        document = json.loads(bodies[name])
        timings = {}
        for label, encode in (("json_ms", lambda d: stdlib(d).encode()), ("orjson_ms", orjson.dumps)):
            samples = []
            for _ in range(RUNS):
                started = time.perf_counter()
                for _ in range(10):
                    encode(document)
                samples.append((time.perf_counter() - started) / 10 * 1000)
            timings[label] = spread(samples)
        results["inprocess"][name] = {"pipeline_ms": spread(pipeline), **timings}


def write_section(results: dict[str, Any], path: Path) -> None:
    """Replace (or append) the Jobo section of RESULTS.md; the other sections stay as they are."""
    meta, http = results["meta"], results["http"]

    def cell(values: dict[str, float], digits: int = 1) -> str:
        return " / ".join(f"{values[k]:,.{digits}f}" for k in ("min", "median", "max"))

    lines = [
        START,
        "## Jobo: large bodies (bench/jobo_bench.py)",
        "",
        f"Written on {meta['date']}: {meta['machine']}, Python {meta['python']}, orjson {meta['orjson']}. "
        f"Load average (1/5/15 min) {meta['load_before']} before and {meta['load_after']} after the run"
        + (
            " (a loaded machine: the ratios, measured in the same run, are the figures to read)."
            if max(meta["load_before"][0], meta["load_after"][0]) > 1.5
            else "."
        )
        + f" Each figure is min / median / max of {meta['runs']} runs of {meta['duration']}.",
        "",
        "The Jobo mock (`serve --vendor jobo --clock manual`, bench/jobo_world.yaml: the default catalogue of "
        "20,000 jobs, standing still) against bench/jobo_bare_app.py, bare Starlette answering the very bytes "
        f"the mock answered: a feed page of 1,000 full jobs ({results['bytes']['feed']:,} bytes, "
        f'`POST /api/jobs/feed {{"batch_size": 1000}}`) and a search page of 100 '
        f"({results['bytes']['search']:,} bytes, `GET /api/jobs?page_size=100`, every active job ranked with "
        "the default facets). Load: wrk, 1 thread, pinned as in the UpHunt figures.",
        "",
        "| endpoint | connections | server | requests/s | p50 ms | p99 ms | non-2xx |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, row in http.items():
        endpoint, conns, server = key.split("/")
        lines.append(f"| {endpoint} | {conns} | {server} | {cell(row['rps'], 0)} | {cell(row['p50_ms'], 2)} | "
                     f"{cell(row['p99_ms'], 2)} | {int(row['non2xx']['max'])} |")  # fmt: skip
    lines += ["", "| budget | figure (median) | target | verdict |", "|---|---|---|---|"]
    for endpoint, (_, _, what) in ENDPOINTS.items():
        for conns in CONNECTIONS:
            mock, bare = http[f"{endpoint}/{conns}/mock"]["rps"], http[f"{endpoint}/{conns}/bare"]["rps"]
            ratio = mock["median"] / bare["median"]
            verdict = "met" if ratio >= TARGET else "**missed**"
            lines.append(f"| {what} vs bare, {conns} conn | {ratio:.2f}x | >= {TARGET}x | {verdict} |")
    inproc = results["inprocess"]
    lines += [
        "",
        "In-process (no socket; min / median / max ms): the mock's whole pipeline per request, and encoding the "
        "body with the standard json module and with orjson (which the mock uses; a page embeds each job's "
        "cached encoding, so the pipeline encodes far less than the whole body):",
        "",
        "| body | pipeline per request | json.dumps | orjson.dumps |",
        "|---|---|---|---|",
    ]
    for name, row in inproc.items():
        lines.append(f"| {name} | {cell(row['pipeline_ms'], 2)} | {cell(row['json_ms'], 2)} | "
                     f"{cell(row['orjson_ms'], 2)} |")  # fmt: skip
    lines += ["", *results.get("notes", []), END]
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    section = "\n".join(lines).rstrip() + "\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        text = before + section + ("\n" + after if after else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


NOTES = [
    "What made these figures (the same machine, before the change): the feed page took 99 ms per request "
    "in-process and the search page 185 ms. The search ranked and faceted all 20,000 jobs on every request "
    "(a Counter updated job by job, a sort with a Python key); now facets are counted in C, a no-text search "
    "reverses the catalogue (already in discovery order) instead of sorting it, and a ranked result is kept "
    "until the catalogue changes (paging through it, or polling a search, ranks it once). The feed recounted "
    "every match for `estimated_total` and encoded 2.7 MB with the json module (72 ms); now an unfiltered "
    "count is the catalogue's active count, bodies are encoded with orjson, and each job's record is kept "
    "encoded on the job (2.8 KB, half the memory of the dict it replaces) and embedded as an `orjson.Fragment`.",
    "",
    "Over the socket, the first run after those changes still gave the feed 0.27x: the request journal kept "
    "every response whole (the dashboard shows responses), so the mock held every 2.7 MB page it had sent, "
    "up to the journal's 1,000 entries (2.7 GB; +529 MB after 200 pages). An entry now keeps 16 KiB of a "
    "large body and its size (+6 MB after 200 pages).",
    "",
    "Two cores carry both servers, wrk and whatever else runs on the machine: at 10 connections the mock and "
    "the bare app compete for the same core, and runs move by +-50% (see min / max). The ratios of one run "
    "are the figures to compare; take them on an idle machine when you can.",
]


def main() -> int:
    import platform
    from importlib.metadata import version

    results: dict[str, Any] = {"http": {}, "inprocess": {}, "notes": NOTES}
    load_before = load_average()
    started = time.perf_counter()
    print("bench: Jobo large bodies (mock vs bare Starlette) ...", flush=True)
    bodies = http_benchmarks(results)
    print("bench: Jobo in-process pipeline and encoders ...", flush=True)
    inprocess_benchmarks(results, bodies)
    results["meta"] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "orjson": version("orjson"),
        "runs": RUNS,
        "duration": DURATION,
        "load_before": load_before,
        "load_after": load_average(),
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    (HERE / "jobo_results.json").write_text(json.dumps(results, indent=2))
    write_section(results, HERE / "RESULTS.md")
    medians = {k: v["rps"]["median"] for k, v in results["http"].items()}
    print(f"bench: wrote the Jobo section of {HERE / 'RESULTS.md'} in {results['meta']['total_seconds']} s: {medians}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
