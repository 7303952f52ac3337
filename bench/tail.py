"""Where the apply tail comes from, measured without sockets and without trusting the wall clock.

    python bench/tail.py [--fill 100000] [--measure 20000] [--gc policy|freeze|default]

Builds the full bench world (1,000 accounts, bench/worlds.py), fills it with ``--fill``
applications through the ASGI pipeline (as traffic would), then sends ``--measure`` more
applies and reports, per request: the time spent in the cyclic garbage collector (gc.callbacks
around every collection, by generation), the objects the collector tracks that each apply
leaves behind, and the slowest requests with what they spent it on. ``--gc`` picks the
collector policy: ``policy`` (mock_server.core.gc_policy, what ``uphunt-mock serve`` applies),
``freeze`` (the world frozen once at start, as before issue 18) or ``default`` (CPython's).

The pause *durations* move with the machine's load; the *counts* (collections per generation,
objects scanned, objects left behind per apply) do not, and they are what explains the tail.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

# CPU time of this thread: what the work costs, whatever else the machine is running.
CPU = time.thread_time

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from inprocess import call  # noqa: E402
from worlds import apply_body, apply_pair, full_world_file, open_jobs  # noqa: E402

from mock_server.core.app import create_app  # noqa: E402
from mock_server.core.runtime import Runtime  # noqa: E402
from mock_server.vendors.uphunt.world import World  # noqa: E402


class GcMeter:
    """Times every collection (gc.callbacks) and counts them by generation."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float, int]] = []  # (generation, seconds, objects in the collected generations)
        self._start = 0.0
        self._scanned = 0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gen = info["generation"]
            self._scanned = sum(gc.get_count()[: gen + 1]) if gen < 2 else -1
            self._start = CPU()
        else:
            self.pauses.append((info["generation"], CPU() - self._start, self._scanned))

    def take(self) -> list[tuple[int, float, int]]:
        out, self.pauses = self.pauses, []
        return out


def tracked() -> int:
    """Objects the collector tracks, the frozen ones included (what the state holds)."""
    gc.collect(0)  # what the last requests left for generation 0 to free is not state
    return len(gc.get_objects()) + gc.get_freeze_count()


async def main(fill: int, measure: int, gc_mode: str) -> dict[str, Any]:
    world_file = full_world_file()
    try:
        jobs = open_jobs(world_file)
        runtime = Runtime(World.from_file(world_file), clock="manual")
    finally:
        world_file.unlink()
    app = create_app(runtime)
    if gc_mode == "policy":  # what `uphunt-mock serve` does since issue 18
        from mock_server.core import gc_policy

        gc_policy.install()
    elif gc_mode == "freeze":  # what it did before: collect and freeze the world at start only
        gc.collect()
        gc.freeze()
    meter = GcMeter()
    gc.callbacks.append(meter)

    async def apply(n: int) -> int:
        key, job = apply_pair(n, jobs)
        sent = await call_with_key(app, key, apply_body(job))
        return sent[0]["status"]

    fill_started = CPU()
    for n in range(fill):
        status = await apply(n)
        assert status == 200, status
    fill_s = CPU() - fill_started
    fill_pauses = meter.take()
    tracked_before = tracked()
    latencies: list[float] = []
    per_request_gc: list[float] = []
    per_request_gens: list[list[int]] = []
    all_pauses: list[tuple[int, float, int]] = []
    for n in range(fill, fill + measure):
        started = CPU()
        status = await apply(n)
        latencies.append(CPU() - started)
        pauses = meter.take()
        all_pauses += pauses
        per_request_gc.append(sum(p[1] for p in pauses))
        per_request_gens.append([p[0] for p in pauses])
        assert status == 200, status
    tracked_after = tracked()
    gc.callbacks.remove(meter)

    order = sorted(range(measure), key=lambda i: latencies[i])
    p50 = latencies[order[measure // 2]]
    p99 = latencies[order[int(measure * 0.99)]]
    slow = [i for i in order if latencies[i] >= p99]
    slow_gc = sum(per_request_gc[i] for i in slow)
    slow_total = sum(latencies[i] for i in slow)
    gens: dict[int, list[float]] = {0: [], 1: [], 2: []}
    for gen, seconds, _scanned in all_pauses:
        gens[gen].append(seconds)
    full_pauses = [p for p in fill_pauses if p[0] == 2]
    return {
        "fill": fill,
        "measure": measure,
        "gc": gc_mode,
        "fill_seconds": round(fill_s, 2),
        "fill_full_collections": len(full_pauses),
        "fill_longest_full_collection_ms": round(max((p[1] for p in full_pauses), default=0) * 1000, 2),
        "tracked_objects_per_apply": round((tracked_after - tracked_before) / measure, 2),
        "tracked_objects_alive": tracked_after,
        "collections_during_measure": {f"gen{g}": len(v) for g, v in gens.items()},
        "collection_cpu_ms_during_measure": {f"gen{g}": _ms_spread(v) for g, v in gens.items()},
        "p50_us": round(p50 * 1e6, 1),
        "p99_us": round(p99 * 1e6, 1),
        "max_us": round(latencies[order[-1]] * 1e6, 1),
        "slowest_1pct_share_in_gc": round(slow_gc / slow_total, 3) if slow_total else 0.0,
        "slowest_1pct_with_a_gen2": sum(1 for i in slow if 2 in per_request_gens[i]),
        "slowest_1pct_with_any_gc": sum(1 for i in slow if per_request_gens[i]),
        "slowest_1pct": len(slow),
        "gc_share_of_all_time": round(sum(per_request_gc) / sum(latencies), 3),
    }


def _ms_spread(values: list[float]) -> str:
    if not values:
        return "-"
    values = sorted(values)
    return f"{values[len(values) // 2] * 1000:.2f} median, {values[-1] * 1000:.2f} max, {sum(values) * 1000:.1f} total"


async def call_with_key(app: Any, key: str, body: bytes) -> list[dict[str, Any]]:
    headers = [(b"x-api-key", key.encode()), (b"content-type", b"application/json")]
    return await call(app, "POST", "/api/auto-apply-v2/apply", body=body, headers=headers)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--fill", type=int, default=100_000)
    parser.add_argument("--measure", type=int, default=20_000)
    parser.add_argument("--gc", choices=["policy", "freeze", "default"], default="policy")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.fill, args.measure, args.gc)), indent=2))
