"""1,000 concurrent applies to distinct jobs on an account with 500 credits, over a real socket (issue 3).

Exactly 500 are queued and 500 get the documented 402; the ledger ends with 500 reserved and
nothing available. uvicorn serves on a free 127.0.0.1 port; 100 keep-alive connections each
send 10 applies back to back, so up to 100 requests are in flight at any moment.

The client is a few lines of asyncio speaking HTTP/1.1 rather than ``httpx.AsyncClient``:
httpx's pool costs several milliseconds of CPU per request when 1,000 requests queue on 100
connections, which made this test take 30+ s on a loaded 2-core machine (the server sat idle).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from urllib.parse import urlsplit

import httpx
from conftest import APPLY, live_server, world_with

from mock_server.core.runtime import Runtime

KEY = "sk_concurrency"
CONNECTIONS = 100
WORLD = {
    "settings": {"rateLimits": {"enabled": False}},
    "accounts": [{"apiKey": KEY, "agencyId": "agency_demo", "credits": 500}],
    "generate": {"companies": 100, "jobsPerCompany": 12},  # 1,200 generated jobs (+ the named ones)
}


async def post_many(base: str, path: str, headers: dict[str, str], bodies: list[dict]) -> list[tuple[int, dict]]:
    """POST every body, spread over CONNECTIONS keep-alive connections; (status, JSON body) in input order."""
    url = urlsplit(base)
    head = f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\ncontent-type: application/json\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    results: list[tuple[int, dict]] = [(0, {})] * len(bodies)

    async def connection(indexes: range) -> None:
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        try:
            for i in indexes:
                payload = json.dumps(bodies[i]).encode()
                writer.write(f"{head}content-length: {len(payload)}\r\n\r\n".encode() + payload)
                status = int((await reader.readline()).split()[1])
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                results[i] = (status, json.loads(await reader.readexactly(length)))
        finally:
            writer.close()

    per = -(-len(bodies) // CONNECTIONS)
    await asyncio.wait_for(
        asyncio.gather(*(connection(range(s, min(s + per, len(bodies)))) for s in range(0, len(bodies), per))),
        timeout=60,
    )
    return results


def test_1000_concurrent_applies_on_500_credits_give_500_queued_and_500_402():
    rt = Runtime(world_with(WORLD), clock="manual")
    jobs = list(dict.fromkeys(job.ciphertext for job in rt.sim.catalogue.jobs))
    assert len(jobs) >= 1000
    bodies = [{"jobId": job, "coverLetter": "Hi"} for job in jobs[:1000]]
    with live_server(rt) as base:
        responses = asyncio.run(post_many(base, APPLY, {"x-api-key": KEY}, bodies))
        account = httpx.get(f"{base}/_mock/accounts/{KEY}", timeout=10).json()

    assert Counter(status for status, _ in responses) == {200: 500, 402: 500}
    refused = [body for status, body in responses if status == 402]
    assert all(
        body == {"error": "Insufficient auto-apply credits", "creditsRemaining": 0, "needsCredits": True}
        for body in refused
    )
    queued = [body for status, body in responses if status == 200]
    assert len({q["queueId"] for q in queued}) == 500
    assert all(q["applicationStatus"] == "processing" for q in queued)
    # every success saw its own remaining balance, 499 down to 0: no two requests shared a credit
    assert sorted(q["creditsRemaining"] for q in queued) == list(range(500))
    assert account["credits"] == {"available": 0, "reserved": 500, "spent": 0, "granted": 500}
    mine = [a for a in rt.sim.applications.values() if a.api_key == KEY]
    assert len(mine) == 500
    assert {a.job_id for a in mine} == {q["jobId"] for q in queued}
