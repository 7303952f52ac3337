"""GET /_mock/state a page at a time (issue 13, item 5).

With 100,000 applications the state was one 217 MB answer that blocked the event loop for
10.5 s. It is paginated now (``?limit=&cursor=``, default 1000 of each list): small worlds
answer exactly as before plus ``nextCursor: null``.
"""

from __future__ import annotations

import functools
from pathlib import Path

import yaml
from conftest import DEMO_KEY, AsgiClient, default_world
from jsonschema import Draft202012Validator

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.vendors.uphunt.domain.simulator import ApplyRequest

SPEC = Path(__file__).resolve().parent.parent / "openapi" / "control.yaml"
JOB = "~022053140178050136031"


@functools.cache
def state_validator() -> Draft202012Validator:
    spec = yaml.safe_load(SPEC.read_text())
    return Draft202012Validator({"$ref": "#/components/schemas/WorldState", "components": spec["components"]})


def busy_runtime(applications: int) -> Runtime:
    """One new account per application (an account applies to a job once)."""
    rt = Runtime(default_world(), clock="manual")
    for i in range(applications):
        rt.put_account(f"sk_bulk_{i:06d}", {"credits": 1})
        rt.sim.apply(rt.sim.accounts[f"sk_bulk_{i:06d}"], ApplyRequest(job_ref=JOB, cover_letter="x"))
    return rt


def test_a_big_state_comes_in_pages_that_add_up_to_all_of_it() -> None:
    rt = busy_runtime(1100)
    client = AsgiClient(create_app(rt))
    try:
        first = client.get("/_mock/state").json()
        assert not list(state_validator().iter_errors(first))
        assert (len(first["accounts"]), len(first["applications"]), first["nextCursor"]) == (1000, 1000, "1000.1000")
        seen = [a["queueId"] for a in first["applications"]]
        accounts = [a["agencyId"] for a in first["accounts"]]
        cursor, pages = first["nextCursor"], 1
        while cursor is not None and pages < 10:
            page = client.get("/_mock/state", params={"cursor": cursor}).json()
            assert not list(state_validator().iter_errors(page))
            seen += [a["queueId"] for a in page["applications"]]
            accounts += [a["agencyId"] for a in page["accounts"]]
            cursor, pages = page["nextCursor"], pages + 1
        assert pages == 2 and len(seen) == len(set(seen)) == 1101  # plus the default world's application
        assert seen == list(rt.sim.applications) and len(accounts) == 1104
        small = client.get("/_mock/state", params={"limit": 2}).json()
        assert (len(small["accounts"]), len(small["applications"]), small["nextCursor"]) == (2, 2, "2.2")
    finally:
        client.close()


def test_a_small_world_answers_whole_with_masked_keys(client) -> None:  # type: ignore[no-untyped-def]
    state = client.get("/_mock/state").json()
    assert state["nextCursor"] is None and not list(state_validator().iter_errors(state))
    assert [a["apiKey"] for a in state["accounts"]] == [
        "sk_************key",
        "sk_**************key",
        "sk_u****************_key",
        "sk_u****************_key",
    ]
    assert all(DEMO_KEY not in str(a) for a in state["accounts"] + state["applications"])


def test_a_bad_page_request_is_a_clear_4xx(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/_mock/state", params={"cursor": "x"}).status_code == 400
    assert client.get("/_mock/state", params={"limit": 0}).status_code == 422
    assert client.get("/_mock/state", params={"limit": "many"}).status_code == 400
    assert client.get("/_mock/state", params={"cursor": "999.999"}).json()["applications"] == []
