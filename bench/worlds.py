"""The benchmark's worlds: the bench world as it starts (empty) and with realistic state.

``bench/world.yaml`` is the empty case: one bench account, 58,000 open generated jobs, no
applications. The "full" case adds 1,000 accounts (``bench_key_0000`` ... ``bench_key_0999``)
and is then filled with 100,000 applications *through the API*, the way a long-running local
mock accumulates them (state made by traffic after start-up, not loaded with the world, so the
benchmark sees what the collector, the scheduler heap and the indexes do with it).

Apply traffic walks (account, job) pairs in an order that never repeats a pair: request ``n``
goes to account ``n % 1000`` and job ``n // 1000``, so 1,000 accounts x 58,000 jobs leave room
for 58 million applies. :func:`apply_body` and ``apply.lua`` use the same order.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
EMPTY_WORLD = HERE / "world.yaml"
ACCOUNTS = 1000
FILLED_APPLICATIONS = int(os.environ.get("BENCH_FILL", "100000"))  # smaller only to try the bench out


def account_key(i: int) -> str:
    return f"bench_key_{i:04d}"


def full_world_file() -> Path:
    """The bench world plus 1,000 accounts, written to a temporary YAML file (the caller unlinks it)."""
    data = yaml.safe_load(EMPTY_WORLD.read_text())
    data["accounts"] += [
        {"apiKey": account_key(i), "agencyId": "agency_bench", "credits": 1_000_000} for i in range(ACCOUNTS)
    ]
    fd, name = tempfile.mkstemp(prefix="uphunt-bench-world-", suffix=".yaml")
    with open(fd, "w") as out:
        yaml.safe_dump(data, out, sort_keys=False)
    return Path(name)


def open_jobs(world_file: Path) -> list[str]:
    """Ciphertexts of every open job of the world, in catalogue order."""
    from mock_server.core.clock import ManualClock
    from mock_server.vendors.uphunt.world import World

    sim = World.from_file(world_file).build(ManualClock())
    return [j.ciphertext for j in sim.catalogue.jobs if j.is_open(sim.clock.now())]


def apply_pair(n: int, jobs: list[str]) -> tuple[str, str]:
    """(api key, job) of the ``n``-th apply of the fill order (never the same pair twice)."""
    return account_key(n % ACCOUNTS), jobs[(n // ACCOUNTS) % len(jobs)]


def apply_body(job: str) -> bytes:
    return json.dumps(
        {
            "jobId": job,
            "coverLetter": "Hello from the benchmark: I have done this before.",
            "proposal": {"hourlyRate": 50},
        },
        separators=(",", ":"),
    ).encode()
