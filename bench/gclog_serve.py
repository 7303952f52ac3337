"""`uphunt-mock serve`, with every cyclic-collector pause of the server process logged to a file.

    python bench/gclog_serve.py LOGFILE serve --port 8080 ...

One line per collection: generation, wall ms, CPU ms (gc.callbacks). bench/run.py serves every
mock this way (the current tree and archived ones alike: ``mock_server`` is whichever is first on
the path), so RESULTS.md can say how long the server itself stopped for its collector while wrk
was measuring it, a figure the machine's load does not make up.
"""

from __future__ import annotations

import gc
import sys
import time
from typing import Any

_started: dict[str, float] = {}


def main() -> int:
    log = open(sys.argv[1], "w", buffering=1)  # noqa: SIM115 - open for the life of the process

    def timed(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            _started["wall"], _started["cpu"] = time.perf_counter(), time.thread_time()
        elif "wall" in _started:
            wall = (time.perf_counter() - _started["wall"]) * 1000
            cpu = (time.thread_time() - _started["cpu"]) * 1000
            log.write(f"{info['generation']} {wall:.3f} {cpu:.3f}\n")

    gc.callbacks.append(timed)
    from mock_server.cli import main as serve_main

    return serve_main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
