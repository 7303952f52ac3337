"""Start-up of the pytest plugin's mock, both ways the ``uphunt_mock`` fixture gets one.

    python bench/fixture_startup.py [RUNS]

Prints a human summary, then one JSON line (read by bench/run.py) with min / median / max of:

* ``first_ms``: the first server of a fresh interpreter (imports, spec compilation, uvicorn
  start), measured in RUNS separate processes: what the session fixture costs once per run
  (and once per xdist worker);
* ``later_ms``: every further dedicated server in the same process (start until it answers,
  what a test gets when its marker asks for another world or clock), RUNS x 5 samples;
* ``stop_ms``: stopping one;
* ``reset_ms``: the default path, the session's server handed to the next test
  (clear scenarios + reset + journal), RUNS x 20 samples.

Not a test: the figures are reported by `make bench`, not asserted.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time


def spread(values: list[float]) -> dict[str, float]:
    return {"min": round(min(values), 2), "median": round(statistics.median(values), 2), "max": round(max(values), 2)}


def first_start_ms() -> float:
    started = time.perf_counter()
    from mock_server.testing import MockServer

    server = MockServer().start()
    elapsed = (time.perf_counter() - started) * 1000
    server.stop()
    return elapsed


def main() -> int:
    if sys.argv[1:2] == ["--first"]:
        print(first_start_ms())
        return 0
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    first = [
        float(
            subprocess.run(
                [sys.executable, __file__, "--first"], capture_output=True, text=True, check=True, timeout=120
            ).stdout
        )
        for _ in range(runs)
    ]
    from mock_server.testing import MockServer

    warm = MockServer().start()
    later, stop, reset = [], [], []
    for _ in range(runs * 5):
        started = time.perf_counter()
        server = MockServer().start()
        handle = server.handle()
        handle.time()  # it answers
        later.append((time.perf_counter() - started) * 1000)
        handle.close()
        started = time.perf_counter()
        server.stop()
        stop.append((time.perf_counter() - started) * 1000)
    handle = warm.handle()
    for _ in range(runs * 20):
        handle.advance(60)
        started = time.perf_counter()
        handle.reset()
        reset.append((time.perf_counter() - started) * 1000)
    handle.close()
    warm.stop()
    result = {"first_ms": spread(first), "later_ms": spread(later), "stop_ms": spread(stop), "reset_ms": spread(reset)}
    for key, value in result.items():
        print(f"{key:>9}: min {value['min']:8.2f}  median {value['median']:8.2f}  max {value['max']:8.2f}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
