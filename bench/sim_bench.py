"""The simulator alone: applications from apply to terminal state on the manual clock.

Drives the domain (no HTTP) the way a heavy CI run would: N applications
across many accounts and agencies, then settles the clock until every one is
terminal. Reports applications per second and peak memory (RSS) of this
process. Run as a script; prints one JSON line.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mock_server.core.clock import ManualClock  # noqa: E402
from mock_server.vendors.uphunt.domain.simulator import ApplyRequest  # noqa: E402
from mock_server.vendors.uphunt.world import World  # noqa: E402


def run(total: int, accounts: int) -> dict[str, float]:
    per_account = total // accounts
    data = {
        "default": False,
        "settings": {"pacingSeconds": 5},
        "agencies": [
            {
                "id": f"agency_{i}",
                "connects": 10**9,
                "freelancers": [
                    {
                        "id": f"~01f{i:017d}",
                        "name": f"BD {i}",
                        "isBusinessDeveloper": True,
                        "profiles": [{"id": f"p{i}", "name": "General", "hourlyRate": 50, "isDefault": True}],
                    }
                ],
            }
            for i in range(accounts)
        ],
        "accounts": [
            {"apiKey": f"key_{i}", "agencyId": f"agency_{i}", "credits": per_account} for i in range(accounts)
        ],
        "generate": {"companies": max(1, per_account // 50), "jobsPerCompany": 50},
    }
    import yaml

    from mock_server.vendors.uphunt.world import _check_references, parse_world_text  # validation as a world file gets

    parse_world_text(yaml.safe_dump(data), "<bench world>")
    _check_references(data, "<bench world>")
    sim = World(data, seed=1).build(ManualClock())
    ciphers = [j.ciphertext for j in sim.catalogue.jobs][:per_account]
    accts = list(sim.accounts.values())
    started = time.perf_counter()
    for i in range(per_account):
        cipher = ciphers[i]
        for account in accts:
            sim.apply(account, ApplyRequest(job_ref=cipher, cover_letter="Hello from the benchmark."))
        if i % 50 == 49:
            sim.scheduler.advance(1.0)  # arrivals spread over simulated time, like a real client
    applied_s = time.perf_counter() - started
    sim.settle(max_seconds=10**9)
    elapsed = time.perf_counter() - started
    assert sim.processing == 0
    done = sum(1 for a in sim.applications.values() if a.is_terminal)
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "applications": done,
        "seconds": round(elapsed, 3),
        "apply_seconds": round(applied_s, 3),
        "per_second": round(done / elapsed),
        "peak_rss_mb": round(peak_rss_mb, 1),
    }


if __name__ == "__main__":
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(json.dumps(run(total, accounts=100)))
