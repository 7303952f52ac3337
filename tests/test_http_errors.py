"""Every client mistake gets its documented status and exact body; none yields a 5xx (issue 2)."""

from __future__ import annotations

import json

import httpx
import pytest
from conftest import APPLY, DEMO, DEMO_KEY, NO_RATE_LIMITS, STATUS, live_server, world_with
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mock_server.core.app import create_app
from mock_server.core.runtime import Runtime
from mock_server.core.spec import load_spec

DEMO_HEADERS = DEMO
JSON = {**DEMO_HEADERS, "content-type": "application/json"}
FASTAPI_JOB = "~022053140178050136031"
LIMIT = 1024 * 1024
TOO_LARGE = {"error": "Request body too large (limit 1048576 bytes)"}


def credits(client, key: str = DEMO_KEY) -> dict[str, int]:
    return client.get(f"/_mock/accounts/{key}").json()["credits"]


def post_raw(client, body: bytes, headers: dict[str, str] = JSON):
    return client.post(APPLY, headers=headers, content=body)


# ── 400: shape ─────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"jobId": FASTAPI_JOB}, {"error": "coverLetter is required"}),
        ({"coverLetter": "Hi"}, {"error": "jobId is required"}),
        ({}, {"error": "jobId is required"}),
        ({"jobId": 5, "coverLetter": "Hi"}, {"error": "jobId must be of type string, got integer", "field": "jobId"}),
        (
            {"jobId": FASTAPI_JOB, "coverLetter": None},
            {"error": "coverLetter must be of type string, got null", "field": "coverLetter"},
        ),
        (
            {"jobId": FASTAPI_JOB, "coverLetter": "Hi", "autoFillOtherQuestions": "yes"},
            {"error": "autoFillOtherQuestions must be of type boolean, got string", "field": "autoFillOtherQuestions"},
        ),
        (
            {"jobId": FASTAPI_JOB, "coverLetter": "Hi", "proposal": {"boostBids": 1.5}},
            {"error": "proposal.boostBids must be of type integer, got number", "field": "proposal.boostBids"},
        ),
        (
            {"jobId": FASTAPI_JOB, "coverLetter": "Hi", "proposal": {"hourlyRate": "65"}},
            {"error": "proposal.hourlyRate must be of type number, got string", "field": "proposal.hourlyRate"},
        ),
        ({"jobId": "", "coverLetter": "Hi"}, {"error": "jobId: '' should be non-empty", "field": "jobId"}),
        (
            {"jobId": FASTAPI_JOB, "coverLetter": "Hi", "foo": 1, "bar": 2},
            {"error": 'body: unknown field(s): "bar", "foo"'},
        ),
        (
            {"jobId": FASTAPI_JOB, "coverLetter": "Hi", "applicationOptions": {}},
            {"error": 'body: unknown field(s): "applicationOptions"'},
        ),
        (
            {"jobId": FASTAPI_JOB, "coverLetter": "Hi", "proposal": {"bid": 5}},
            {"error": 'proposal: unknown field(s): "bid"', "field": "proposal"},
        ),
    ],
)
def test_apply_shape_errors_are_400_naming_the_field(client, body, expected):
    before = credits(client)
    r = client.post(APPLY, headers=DEMO_HEADERS, json=body)
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/json"
    assert r.json() == expected
    assert credits(client) == before


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", "request body is required (a JSON object)"),
        (b"{bad", "malformed JSON body: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b'{"jobId": ', "malformed JSON body: Expecting value: line 1 column 11 (char 10)"),
        (b"\xff\xfe", "malformed JSON body: Expecting value: line 1 column 1 (char 0)"),
        (
            b'{"jobId":"~01abc","coverLetter":"x","proposal":{"fixedBid":NaN}}',
            "malformed JSON body: NaN is not valid JSON",
        ),
        (b"[1]", "body must be of type object, got array"),
        (b"null", "body must be of type object, got null"),
        (b"3", "body must be of type object, got integer"),
        (b"true", "body must be of type object, got boolean"),
        (b'"apply"', "body must be of type object, got string"),
    ],
)
def test_apply_malformed_or_non_object_body_is_400(client, raw, expected):
    before = credits(client)
    r = post_raw(client, raw)
    assert (r.status_code, r.json()) == (400, {"error": expected})
    assert credits(client) == before


def test_deeply_nested_json_is_400_not_500(client):
    r = post_raw(client, b"[" * 100_000 + b"]" * 100_000)
    assert (r.status_code, r.json()) == (400, {"error": "malformed JSON body: nested too deeply"})


def test_number_beyond_a_double_is_400_not_500(client):
    body = b'{"jobId":"~022053140178050136031","coverLetter":"x","proposal":{"hourlyRate":1' + b"0" * 400 + b"}}"
    r = post_raw(client, body)
    assert r.status_code == 400
    assert r.json()["error"].startswith("malformed JSON body: number 1000")


# ── 422: meaning ───────────────────────────────────────────────────────────


def test_unknown_timeline_is_422(client):
    r = client.post(
        APPLY, headers=DEMO_HEADERS, json={"jobId": FASTAPI_JOB, "coverLetter": "Hi", "proposal": {"timeline": "soon"}}
    )
    assert r.status_code == 422
    assert r.json() == {
        "error": 'proposal.timeline: "soon" is not one of "Less than 1 month", "1 to 3 months", "3 to 6 months", "More than 6 months"',
        "field": "proposal.timeline",
    }


def test_negative_hourly_rate_is_422(client):
    r = client.post(
        APPLY, headers=DEMO_HEADERS, json={"jobId": FASTAPI_JOB, "coverLetter": "Hi", "proposal": {"hourlyRate": -1}}
    )
    assert r.status_code == 422
    assert r.json() == {
        "error": "proposal.hourlyRate: -1 is less than the minimum of 0",
        "field": "proposal.hourlyRate",
    }


def test_boost_bids_over_the_maximum_is_422(client):
    r = client.post(
        APPLY, headers=DEMO_HEADERS, json={"jobId": FASTAPI_JOB, "coverLetter": "Hi", "proposal": {"boostBids": 5000}}
    )
    assert (r.status_code, r.json()) == (
        422,
        {"error": "proposal.boostBids: 5000 is greater than the maximum of 1000", "field": "proposal.boostBids"},
    )


@pytest.mark.parametrize("profile_id", ["1800000000000000010", "no-such-profile"])  # another agency's, and unknown
def test_profile_outside_the_agency_is_422(client, profile_id):
    before = credits(client)
    r = client.post(
        APPLY, headers=DEMO_HEADERS, json={"jobId": FASTAPI_JOB, "coverLetter": "Hi", "profileId": profile_id}
    )
    assert r.status_code == 422
    assert r.json() == {
        "error": f"profileId {profile_id!r} is not a profile of agency agency_demo; "
        "list valid ids with GET /api/auto-apply-v2/freelancers",
        "field": "profileId",
    }
    assert credits(client) == before


def test_400_wins_over_422_and_422_over_404(client):
    # decision 4: 400 (shape) -> 422 (meaning) -> 404 (job)
    r = client.post(APPLY, headers=DEMO_HEADERS, json={"jobId": "~029", "proposal": {"timeline": "soon"}})
    assert (r.status_code, r.json()) == (400, {"error": "coverLetter is required"})
    r = client.post(APPLY, headers=DEMO_HEADERS, json={"jobId": "~029", "coverLetter": "x", "profileId": "nope"})
    assert r.status_code == 422


# ── 401 ────────────────────────────────────────────────────────────────────


MISSING_KEY = "Missing API key: send it in the x-api-key header"
BAD_KEY = "Invalid API key: it was revoked or mistyped (check the x-api-key header)"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", APPLY),
        ("GET", STATUS + "?queueId=queue_abc123"),
        ("GET", "/api/auto-apply-v2/applied-jobs"),
        ("GET", "/api/auto-apply-v2/freelancers"),
    ],
)
def test_missing_and_unknown_key_are_401(client, method, path):
    body = {"jobId": FASTAPI_JOB, "coverLetter": "Hi"} if method == "POST" else None
    r = client.request(method, path, json=body)
    assert (r.status_code, r.json()) == (401, {"error": MISSING_KEY})
    assert "x-ratelimit-limit" not in r.headers
    r = client.request(method, path, json=body, headers={"x-api-key": "sk_uphunt_revoked"})
    assert (r.status_code, r.json()) == (401, {"error": BAD_KEY})


def test_401_on_data_reads_uses_the_data_dialect(client):
    r = client.get("/api/jobs/by-ciphertext?cipher=~022052895097657407455")
    assert (r.status_code, r.json()) == (401, {"error": "unauthorized", "message": MISSING_KEY})
    r = client.get("/api/clients/1991212616395436888/jobs", headers={"x-api-key": "nope"})
    assert (r.status_code, r.json()) == (401, {"error": "unauthorized", "message": BAD_KEY})


def test_401_comes_before_validation(client):
    r = client.post(APPLY, headers={"content-type": "application/json"}, content=b"{bad")
    assert (r.status_code, r.json()) == (401, {"error": MISSING_KEY})


# ── 404 / 405 ──────────────────────────────────────────────────────────────


def test_unknown_job_is_404_and_touches_no_credit(client):
    before = credits(client)
    r = client.post(APPLY, headers=DEMO_HEADERS, json={"jobId": "~029999", "coverLetter": "Hi"})
    assert r.status_code == 404
    assert r.json() == {"error": "Job not found: '~029999'. Verify the jobId is correct and the job has been scraped."}
    assert credits(client) == before


def test_unknown_application_is_404(client):
    for query in ("queueId=queue_0000", "jobId=~022053140178050136031", "jobId=~029999"):
        r = client.get(f"{STATUS}?{query}", headers=DEMO_HEADERS)
        assert (r.status_code, r.json()) == (404, {"error": "Application not found"}), query


@pytest.mark.parametrize(
    "path", ["/nope", "/api/auto-apply-v2/nope", "/api/auto-apply/external", "/_mock/nope", "/api/auto-apply-v2/apply/"]
)
def test_unknown_path_is_404_json(client, path):
    r = client.post(path, headers=DEMO_HEADERS, json={}, follow_redirects=False)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"error": f"Not found: POST {path}"}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", APPLY, {"POST"}),
        ("PUT", APPLY, {"POST"}),
        ("DELETE", STATUS, {"GET", "HEAD"}),
        ("POST", "/api/auto-apply-v2/applied-jobs", {"GET", "HEAD"}),
        ("PATCH", "/_mock/clock/advance", {"POST"}),
    ],
)
def test_wrong_method_is_405_json_with_allow(client, method, path, allow):
    r = client.request(method, path, headers=DEMO_HEADERS)
    assert r.status_code == 405
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"error": f"Method {method} not allowed on {path}"}
    assert {m.strip() for m in r.headers["allow"].split(",")} == allow


# ── 413 ────────────────────────────────────────────────────────────────────


def _padded_apply(size: int) -> bytes:
    """A valid apply body padded with JSON whitespace to exactly ``size`` bytes."""
    core = json.dumps({"jobId": FASTAPI_JOB, "coverLetter": "Hi"}).encode()
    return core + b" " * (size - len(core))


def test_body_of_exactly_1_mib_is_accepted(client):
    r = post_raw(client, _padded_apply(LIMIT))
    assert r.status_code == 200
    assert r.json()["applicationStatus"] == "processing"


def test_body_over_1_mib_with_content_length_is_413(client):
    before = credits(client)
    r = post_raw(client, _padded_apply(LIMIT + 1))
    assert (r.status_code, r.json()) == (413, TOO_LARGE)
    assert credits(client) == before


def test_body_over_1_mib_chunked_is_413(client):
    body = _padded_apply(LIMIT + 1)

    def chunks():
        for i in range(0, len(body), 64 * 1024):
            yield body[i : i + 64 * 1024]

    r = client.post(APPLY, headers=JSON, content=chunks())
    assert (r.status_code, r.json()) == (413, TOO_LARGE)
    assert credits(client)["reserved"] == 0


def test_413_over_a_real_socket_both_ways():
    """uvicorn in front: a declared Content-Length and a chunked stream are both cut at 1 MiB."""
    body = _padded_apply(LIMIT + 10)
    with live_server(Runtime(clock="manual")) as base, httpx.Client(base_url=base, timeout=10) as http:
        r = http.post(APPLY, headers=JSON, content=body)
        assert (r.status_code, r.json()) == (413, TOO_LARGE)
        r = http.post(APPLY, headers=JSON, content=iter([body[: LIMIT // 2], body[LIMIT // 2 :]]))
        assert r.request.headers.get("transfer-encoding") == "chunked"
        assert (r.status_code, r.json()) == (413, TOO_LARGE)
        assert http.get(f"/_mock/accounts/{DEMO_KEY}").json()["credits"]["reserved"] == 0


# ── isolation ──────────────────────────────────────────────────────────────


def test_accounts_are_isolated(client):
    second = {"x-api-key": "sk_uphunt_second_key"}
    queued = client.post(APPLY, headers=DEMO_HEADERS, json={"jobId": FASTAPI_JOB, "coverLetter": "Hi"}).json()
    # the other account cannot see the application, by queueId or by job
    assert client.get(f"{STATUS}?queueId={queued['queueId']}", headers=second).status_code == 404
    assert client.get(f"{STATUS}?jobId={FASTAPI_JOB}", headers=second).status_code == 404
    assert client.get("/api/auto-apply-v2/applied-jobs", headers=second).json()["total"] == 0
    # ... may apply to the same job itself (409 is per account) ...
    r = client.post(APPLY, headers=second, json={"jobId": FASTAPI_JOB, "coverLetter": "Hi"})
    assert r.status_code == 200
    assert r.json()["creditsRemaining"] == 24
    # ... and each ledger only moved by its own apply
    assert credits(client) == {"available": 99, "reserved": 1, "spent": 1, "granted": 101}
    assert credits(client, "sk_uphunt_second_key") == {"available": 24, "reserved": 1, "spent": 0, "granted": 25}
    freelancers = client.get("/api/auto-apply-v2/freelancers", headers=second).json()
    assert freelancers["agencyId"] == "agency_second"


# ── spec ──────────────────────────────────────────────────────────


def test_openapi_json_serves_the_spec(client):
    r = client.get("/openapi.json")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == json.loads(json.dumps(load_spec("uphunt.yaml")))


# /docs itself: tests/test_docs_page.py and tests/browser/test_docs_page.py.


# ── no 5xx for client mistakes (hypothesis) ────────────────────────────────

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
JOB_REFS = st.sampled_from(
    [
        FASTAPI_JOB,
        "~01abc123def456",
        "~01abc",
        "~022055000000000000001",
        "~022040846723050472167",
        "https://www.upwork.com/jobs/~022052895097657407455",
        "0b5e6c7d-8f90-4a1b-b2c3-d4e5f6a7b8c9",
        "~029",
    ]
)
PROPOSALS = (
    st.fixed_dictionaries(
        {},
        optional={
            "hourlyRate": JSON_VALUES | st.floats(min_value=-10, max_value=1e6),
            "fixedBid": JSON_VALUES | st.integers(min_value=-10, max_value=10**6),
            "timeline": JSON_VALUES | st.sampled_from(["Less than 1 month", "1 to 3 months"]),
            "boostBids": JSON_VALUES | st.integers(min_value=-5, max_value=2000),
        },
    )
    | JSON_VALUES
)
APPLY_BODIES = (
    st.fixed_dictionaries(
        {},
        optional={
            "jobId": JOB_REFS | JSON_VALUES,
            "coverLetter": st.text(max_size=30) | JSON_VALUES,
            "profileId": st.sampled_from(["1800000000000000003", "1800000000000000010"]) | JSON_VALUES,
            "proposal": PROPOSALS,
            "autoFillOtherQuestions": JSON_VALUES,
            "questionAnswers": JSON_VALUES
            | st.lists(st.fixed_dictionaries({"question": st.text(max_size=5), "answer": JSON_VALUES})),
            "extra": JSON_VALUES,
        },
    )
    | JSON_VALUES
)


@pytest.fixture(scope="module")
def fuzz_client():
    rt = Runtime(world_with(NO_RATE_LIMITS), clock="manual")
    with TestClient(create_app(rt), raise_server_exceptions=False) as c:
        yield c


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(body=APPLY_BODIES)
def test_apply_never_5xx_for_any_json_value(fuzz_client, body):
    r = fuzz_client.post(APPLY, headers=DEMO_HEADERS, content=json.dumps(body).encode())
    assert r.status_code in (200, 400, 402, 404, 409, 422), (r.status_code, r.text)
    assert isinstance(r.json(), dict)
    if r.status_code != 200:
        assert isinstance(r.json()["error"], str)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=300) | st.text(max_size=100).map(str.encode))
def test_apply_never_5xx_for_random_bytes(fuzz_client, raw):
    r = fuzz_client.post(APPLY, headers=JSON, content=raw)
    assert r.status_code < 500, (r.status_code, r.text)
    assert "error" in r.json() or r.status_code == 200


QUERY_TEXT = st.text(max_size=40) | JOB_REFS | st.sampled_from(["queue_abc123", ""])


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.fixed_dictionaries({}, optional={"queueId": QUERY_TEXT, "jobId": QUERY_TEXT, "junk": QUERY_TEXT}))
def test_status_never_5xx_for_any_query(fuzz_client, params):
    r = fuzz_client.get(STATUS, headers=DEMO_HEADERS, params=params)
    assert r.status_code in (200, 400, 404), (r.status_code, r.text)
    if ("queueId" in params) == ("jobId" in params):
        assert r.status_code == 400


def test_a_query_parameter_given_twice_is_400_and_the_last_of_a_single_one_counts(client) -> None:
    twice = client.get(STATUS + "?queueId=queue_a&queueId=queue_b", headers=DEMO)
    assert (twice.status_code, twice.json()) == (
        400,
        {"error": "query parameter queueId was given more than once", "field": "queueId"},
    )
    encoded = client.get(STATUS + "?queueId=queue%5Fa&queueId=queue+b", headers=DEMO)  # the parse_qsl path
    assert encoded.status_code == 400 and encoded.json()["field"] == "queueId"
    once = client.get(STATUS + "?queueId=queue_nope&&junk=1&junk", headers=DEMO)  # empty parts and unknown names
    assert once.status_code == 404


@pytest.mark.parametrize("path", [STATUS, "/api/clients/1991212616395436888/jobs"])
def test_a_bug_in_the_mock_is_a_500_json_body_on_both_lanes(monkeypatch, path) -> None:
    """Literal API paths take the direct lane, templated ones go through Starlette: same 500."""
    from mock_server.vendors.uphunt import handlers

    def broken(ctx):
        raise RuntimeError("boom")

    monkeypatch.setitem(handlers.HANDLERS, "getApplicationStatus", broken)
    monkeypatch.setitem(handlers.HANDLERS, "getClientJobs", broken)
    with TestClient(create_app(Runtime(clock="manual")), raise_server_exceptions=False) as c:
        r = c.get(path, headers=DEMO, params={"queueId": "queue_abc123"} if path == STATUS else None)
        assert r.status_code == 500
        assert r.json() == {"error": "uphunt-mock internal error: RuntimeError: boom"}
        assert c.get(STATUS, headers={}).status_code == 401  # and the mock keeps serving
