"""The mock's own per-request cost, without sockets: ASGI calls straight into the app.

    python bench/inprocess.py [N]

Prints microseconds per request for status (one known queueId) and apply (a fresh job each
time), on the bench world (bench/world.yaml) with the manual clock. This isolates the mock's
pipeline (routing, validation, journal, domain, rendering) from uvicorn and the network, so
an optimisation of the pipeline shows here even when wrk's figures are noisy.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mock_server.core.app import create_app  # noqa: E402
from mock_server.core.runtime import Runtime  # noqa: E402
from mock_server.vendors.uphunt.world import World  # noqa: E402

HEADERS = [(b"x-api-key", b"bench_key"), (b"content-type", b"application/json")]


async def call(
    app: Any,
    method: str,
    path: str,
    query: bytes = b"",
    body: bytes = b"",
    headers: list[tuple[bytes, bytes]] = HEADERS,
) -> list[dict[str, Any]]:
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "headers": [*headers, (b"content-length", str(len(body)).encode())],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
        "app": app,
    }
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def main(n: int) -> None:
    runtime = Runtime(World.from_file(ROOT / "bench" / "world.yaml"), clock="manual")
    app = create_app(runtime)
    first = await call(
        app, "POST", "/api/auto-apply-v2/apply", body=b'{"jobId":"~022053140178050136031","coverLetter":"x"}'
    )
    queue_id = json.loads(first[1]["body"])["queueId"]
    started = time.perf_counter()
    for _ in range(n):
        await call(app, "GET", "/api/auto-apply-v2/status", query=f"queueId={queue_id}".encode())
    status_us = (time.perf_counter() - started) / n * 1e6
    jobs = [j.ciphertext for j in runtime.sim.catalogue.jobs if j.is_open(runtime.clock.now())][10 : 10 + n]
    bodies = [json.dumps({"jobId": j, "coverLetter": "Hello", "proposal": {"hourlyRate": 50}}).encode() for j in jobs]
    started = time.perf_counter()
    for body in bodies:
        await call(app, "POST", "/api/auto-apply-v2/apply", body=body)
    apply_us = (time.perf_counter() - started) / len(bodies) * 1e6
    print(json.dumps({"status_us": round(status_us, 1), "apply_us": round(apply_us, 1), "n": n}))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
