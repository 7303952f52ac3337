"""The journal is bounded by what it keeps, not only by how many entries (issue 13, item 5).

30 requests with an 8 MiB header took the mock from 96 to 398 MB, because each of the 1,000
entries kept every header and up to 1 MiB of body. Entries now keep capped copies with the
sizes as received, and the journal as a whole is bounded by bytes too.
"""

from __future__ import annotations

from conftest import APPLY, DEMO, world_with
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.journal import MAX_BODY_CHARS, MAX_HEADER_VALUE, MAX_HEADERS, Journal
from mock_server.core.runtime import Runtime

FREELANCERS = "/api/auto-apply-v2/freelancers"


def test_an_entry_keeps_capped_copies_with_the_sizes_as_received() -> None:
    journal = Journal()
    big_header = b"v" * (8 * 1024 * 1024)
    body = b'{"coverLetter": "' + b"x" * (1024 * 1024) + b'"}'
    entry = journal.start(0, "POST", APPLY, b"", [(b"x-big", big_header), (b"accept", b"*/*")], body)
    shown = entry.as_dict()
    assert shown["bodyBytes"] == len(body) and shown["headerBytes"] == len(big_header) + len(b"x-big") + 9
    assert shown["truncated"] is True
    assert shown["headers"]["x-big"] == "v" * MAX_HEADER_VALUE + f"... ({len(big_header)} bytes)"
    assert shown["headers"]["accept"] == "*/*"
    assert shown["body"] == body[:MAX_BODY_CHARS].decode() + f"… ({len(body)} bytes)"
    assert journal.kept_bytes < 32 * 1024


def test_headers_past_the_budget_are_left_out() -> None:
    journal = Journal()
    many = [(f"x-h{i}".encode(), b"y" * 100) for i in range(1000)]
    entry = journal.start(0, "GET", FREELANCERS, b"", many, b"")
    kept = entry.as_dict()["headers"]
    assert 0 < sum(len(k) + len(v) for k, v in kept.items()) <= MAX_HEADERS
    assert entry.truncated and entry.header_bytes == sum(len(k) + len(v) for k, v in many)


def test_the_journal_is_bounded_by_bytes_as_well_as_entries() -> None:
    journal = Journal(capacity=1000, max_bytes=200 * 1024)
    for i in range(100):
        journal.start(i, "POST", APPLY, b"", [(b"x-api-key", b"k" * 20)], b"b" * (64 * 1024))
    assert journal.kept_bytes <= 200 * 1024
    kept = [e["time"] for e in journal.as_list()]
    assert kept == list(range(100 - len(kept), 100)) and 5 <= len(kept) <= 12  # the newest, ~17 KiB each
    assert journal.dropped == 100 - len(kept)


def test_small_requests_are_kept_whole_and_the_api_reports_the_bounds() -> None:
    rt = Runtime(world_with({"settings": {"journal": {"capacity": 50, "maxBytes": 100_000}}}), clock="manual")
    with TestClient(create_app(rt)) as client:
        client.post(APPLY, headers=DEMO, json={"jobId": "~022053140178050136031", "coverLetter": "Hi"})
        body = client.get("/_mock/requests").json()
    [entry] = body["requests"]
    assert entry["truncated"] is False and entry["body"] == {"jobId": "~022053140178050136031", "coverLetter": "Hi"}
    assert entry["bodyBytes"] == len(b'{"jobId":"~022053140178050136031","coverLetter":"Hi"}')
    assert (body["capacity"], body["maxBytes"]) == (50, 100_000) and 0 < body["bytes"] < 2_000
