"""Static checks of the hand-written Jobo contract, openapi/jobo.yaml.

The Jobo vendor routes by operationId and reads its prices and rate limits from this file, and
Jobo's Status Codes page (https://jobo.world/docs/resources/status-codes) outranks every other
source: its bodies are checked here verbatim, so an edit that drifts from the page fails before any
HTTP test runs.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

JOBO = Path(__file__).resolve().parent.parent / "openapi" / "jobo.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")

# The operationIds the Jobo vendor routes by; renaming one breaks the server.
JOBO_OPERATION_IDS = {
    "searchJobs": ("get", "/api/jobs"),
    "searchJobsAdvanced": ("post", "/api/jobs/search"),
    "getJob": ("get", "/api/jobs/{id}"),
    "getJobsFeed": ("post", "/api/jobs/feed"),
    "getManagedJobsFeed": ("post", "/api/jobs/feed/managed"),
    "getExpiredJobIds": ("get", "/api/jobs/expired"),
    "getCompany": ("get", "/api/companies/{id}"),
    "getCompanyJobs": ("get", "/api/companies/{id}/jobs"),
    "geocodeLocation": ("get", "/api/locations/geocode"),
    "getConnectorFilters": ("get", "/api/connectors/filters"),
    "getConnectorFilterOptions": ("get", "/api/connectors/filter-options/{facet}"),
    "suggestLocations": ("get", "/api/connectors/locations/suggest"),
    "getJobsFeedLegacy": ("post", "/api/feed/jobs"),
    "getExpiredJobIdsLegacy": ("get", "/api/feed/jobs/expired"),
    "listAutoApplyApplications": ("get", "/api/auto-apply/applications"),
    "createAutoApplyApplication": ("post", "/api/auto-apply/applications"),
    "getAutoApplyApplication": ("get", "/api/auto-apply/applications/{applicationId}"),
    "submitAutoApplyAnswers": ("post", "/api/auto-apply/applications/{applicationId}/answers"),
    "cancelAutoApplyApplication": ("post", "/api/auto-apply/applications/{applicationId}/cancel"),
    "startAutoApplySession": ("post", "/api/auto-apply/start"),
    "runAutoApply": ("post", "/api/auto-apply/run"),
    "setAutoApplyAnswers": ("post", "/api/auto-apply/set-answers"),
    "getAutoApplySession": ("get", "/api/auto-apply/sessions/{sessionId}"),
    "endAutoApplySession": ("delete", "/api/auto-apply/sessions/{sessionId}"),
    "listAutoApplySandboxScenarios": ("get", "/api/auto-apply/sandbox/scenarios"),
    "listAutoApplyProfiles": ("get", "/api/auto-apply/profiles"),
    "createAutoApplyProfile": ("post", "/api/auto-apply/profiles"),
    "importAutoApplyProfile": ("post", "/api/auto-apply/profiles/import"),
    "getAutoApplyProfile": ("get", "/api/auto-apply/profiles/{profileId}"),
    "updateAutoApplyProfile": ("patch", "/api/auto-apply/profiles/{profileId}"),
    "replaceAutoApplyProfile": ("put", "/api/auto-apply/profiles/{profileId}"),
    "deleteAutoApplyProfile": ("delete", "/api/auto-apply/profiles/{profileId}"),
}
PUBLIC = {"getCompany", "listAutoApplySandboxScenarios"}

# The Status Codes page, verbatim.
SEED_BODIES = {
    "400": {"status": 400, "error": "Bad Request", "message": "Parameter 'page_size' must be between 1 and 100."},
    "401": {
        "status": 401,
        "error": "Unauthorized",
        "message": "Missing or invalid API key. Include 'X-Api-Key' header.",
    },
    "402": {"status": 402, "error": "Insufficient credits", "credits_required": 10, "credits_balance": 3},
    "403": {
        "status": 403,
        "error": "Forbidden",
        "message": "Your subscription does not include access to the Feed API.",
    },
    "429": {
        "status": 429,
        "error": "Too Many Requests",
        "message": "Rate limit exceeded. Try again in 60 seconds.",
        "retry_after": 60,
    },
    "500": {
        "status": 500,
        "error": "Internal Server Error",
        "message": "An unexpected error occurred. Please retry your request.",
    },
    "503": {
        "status": 503,
        "error": "Service Unavailable",
        "message": "The service is temporarily unavailable for maintenance. Please try again in a few minutes.",
    },
}
SEED_RESPONSES = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "402": "PaymentRequired",
    "403": "Forbidden",
    "429": "TooManyRequests",
    "500": "InternalServerError",
    "503": "ServiceUnavailable",
}
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with JOBO.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def validator(spec: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Validator:
    base = "urn:jobo-mock:spec"

    def rebase(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: (base + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else rebase(v))
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [rebase(v) for v in node]
        return node

    registry = Registry().with_resource(base, Resource(contents=spec, specification=DRAFT202012))
    return jsonschema.Draft202012Validator(
        rebase(copy.deepcopy(schema)), registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def examples(media: dict[str, Any]) -> list[Any]:
    values = [media["example"]] if "example" in media else []
    return values + [e["value"] for e in media.get("examples", {}).values()]


def test_spec_is_valid_openapi_31(spec: dict[str, Any]) -> None:
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_operation_ids_are_exactly_the_routed_ones(spec: dict[str, Any]) -> None:
    found = {op["operationId"]: (method, path) for path, method, op in operations(spec)}
    assert found == JOBO_OPERATION_IDS


def test_every_data_operation_has_a_price_and_a_rate_limit_group(spec: dict[str, Any]) -> None:
    for path, _method, op in operations(spec):
        price = op["x-mock-price"]
        assert price["unit"] in {"job", "request", "application", "session"}, path
        assert Decimal(str(price["credits"])) >= 0, path
        assert op["x-mock-rate-limit-group"] in {"general", "feed"}, path
    prices = {op["operationId"]: op["x-mock-price"] for _, _, op in operations(spec)}
    # The reference's mid pricing edition (decision J5).
    assert prices["searchJobs"] == {"unit": "job", "credits": 1, "precheck": "page_size"}
    assert prices["getCompanyJobs"]["credits"] == 1
    assert Decimal(str(prices["getJobsFeed"]["credits"])) == Decimal("0.5")
    assert prices["geocodeLocation"] == {"unit": "request", "credits": 1, "precheck": "request"}
    for free in ("getJob", "getCompany", "getExpiredJobIds", "getConnectorFilters", "suggestLocations"):
        assert prices[free]["credits"] == 0, free
    # Auto Apply: the only documented price, 200 credits per application/session (decision J31).
    for spending in ("createAutoApplyApplication", "startAutoApplySession", "runAutoApply"):
        assert prices[spending]["credits"] == 200, spending
        assert prices[spending]["waivedFor"] == "sandbox"


def test_rate_limit_table_is_the_newer_edition(spec: dict[str, Any]) -> None:
    table = spec["x-mock-rate-limits"]
    assert table["general"]["free"] == {"minute": 60, "hour": 1000, "day": 10000}
    assert table["general"]["paid"] == {"minute": 360, "hour": 10000, "day": 100000}
    assert table["feed"] == {"free": None, "paid": {"minute": 120, "hour": 5000, "day": 50000}}
    groups = {op["operationId"]: op["x-mock-rate-limit-group"] for _, _, op in operations(spec)}
    assert {k for k, v in groups.items() if v == "feed"} == {
        "getJobsFeed",
        "getManagedJobsFeed",
        "getExpiredJobIds",
        "getJobsFeedLegacy",
        "getExpiredJobIdsLegacy",
    }


@pytest.mark.parametrize("status", sorted(SEED_RESPONSES))
def test_the_status_codes_page_bodies_are_the_documented_examples(spec: dict[str, Any], status: str) -> None:
    response = resolve(spec, spec["components"]["responses"][SEED_RESPONSES[status]])
    media = response["content"]["application/json"]
    assert media["example"] == SEED_BODIES[status]
    validator(spec, media["schema"]).validate(SEED_BODIES[status])
    problem = response["content"]["application/problem+json"]
    for key in ("type", "title", "status", "detail", "code"):
        assert key in problem["example"], (status, key)


def test_seed_402_body_has_no_other_fields(spec: dict[str, Any]) -> None:
    schema = spec["components"]["schemas"]["InsufficientCredits"]
    with pytest.raises(jsonschema.ValidationError):
        validator(spec, schema).validate({**SEED_BODIES["402"], "message": "extra"})
    # Fractional prices (0.5 per feed job) give fractional amounts, which the body carries exactly.
    validator(spec, schema).validate({**SEED_BODIES["402"], "credits_required": 12.5})


def test_every_status_of_an_operation_is_in_the_seed_or_201(spec: dict[str, Any]) -> None:
    allowed = {"200", "201", "400", "401", "402", "403", "404", "409", "429", "500", "503"}
    for path, method, op in operations(spec):
        extra = {"405"} if op["operationId"] == "getJob" else set()  # GET on the POST-only /api/jobs/search
        if path.startswith("/api/auto-apply/"):  # held (202) and deleted (204) resources
            extra = {"202", "204"}
        assert set(map(str, op["responses"])) <= allowed | extra, (method, path)
        if op["operationId"] != "listAutoApplySandboxScenarios":
            assert "401" in op["responses"], (method, path)


def test_headers_where_required(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        for status, response in op["responses"].items():
            response = resolve(spec, response)
            headers = {k: resolve(spec, v) for k, v in response.get("headers", {}).items()}
            where = f"{method.upper()} {path} {status}"
            public = op["operationId"] in PUBLIC
            if str(status) in {"200", "202", "402", "403", "409", "429"} and not public:
                for name in RATE_LIMIT_HEADERS:
                    assert headers[name].get("required") is True, f"{where}: {name}"
            if str(status) == "401":
                assert not headers, where
            if str(status) == "429":
                assert headers["Retry-After"]["required"] is True
            if str(status) == "402":
                assert headers["X-Credits-Required"]["required"] and headers["X-Credits-Balance"]["required"]
            if str(status) in {"200", "201", "202"} and not public:
                assert headers["X-Credits-Deducted"]["required"] and headers["X-Credits-Balance"]["required"], where
            if str(status) in {"201", "202"} and op["operationId"] != "submitAutoApplyAnswers" and "cancel" not in path:
                assert headers["Location"]["required"] is True, where
    search_ok = resolve(spec, spec["components"]["responses"]["SearchOk"])
    assert {"X-Total-Count", "X-Total-Pages", "X-Page"} <= set(search_ok["headers"])
    for name in ("FeedOk", "ExpiredOk"):
        assert "X-Has-More" in resolve(spec, spec["components"]["responses"][name])["headers"]


def test_auto_apply_creates_answer_the_seed_503_behind_the_launch_gate(spec: dict[str, Any]) -> None:
    """Decision J22: the gate's 503 is the Status Codes page's body plus the code; every create can answer it."""
    for op_id in ("createAutoApplyApplication", "startAutoApplySession", "runAutoApply"):
        method, path = JOBO_OPERATION_IDS[op_id]
        op = spec["paths"][path][method]
        media = resolve(spec, op["responses"]["503"])["content"]["application/json"]
        assert media["example"] == {**SEED_BODIES["503"], "code": "auto_apply_coming_soon"}, op_id


def test_auto_apply_errors_carry_a_code_in_both_dialects(spec: dict[str, Any]) -> None:
    """Decision J27: every Auto Apply refusal schema requires the stable code."""
    for name in ("AutoApplyBadRequest", "AutoApplyValidationFailed", "AutoApplyForbidden", "AutoApplyNotFound",
                 "AutoApplyConflict", "AutoApplyTooManyRequests", "AutoApplyUnavailable"):  # fmt: skip
        response = resolve(spec, spec["components"]["responses"][name])
        docs = resolve(spec, response["content"]["application/json"]["schema"])
        assert "code" in docs["required"], name
        assert "application/problem+json" in response["content"], name
    for path, _method, op in operations(spec):
        if path.startswith("/api/auto-apply/"):
            assert op["x-mock-error-dialect"] == "auto-apply", path


def test_auto_apply_limits_are_in_the_schemas(spec: dict[str, Any]) -> None:
    """Decision J35: every documented profile limit is in the contract the server validates by."""
    schemas = spec["components"]["schemas"]
    sections = schemas["ProfileSections"]["properties"]
    assert sections["name"]["maxLength"] == 100
    assert sections["work_experience"]["maxItems"] == 50
    assert sections["education"]["maxItems"] == 20
    assert (sections["memories"]["maxItems"], sections["memories"]["items"]["maxLength"]) == (100, 1000)
    assert sections["cover_letter_template"]["maxLength"] == 10000
    assert schemas["HttpUrl"]["maxLength"] == 500
    assert set(schemas["ProfileContact"]["required"]) == {"first_name", "last_name", "email"}
    field_types = schemas["Field"]["properties"]["type"]["enum"]
    assert len(field_types) == 12 and "rich_text" in field_types and "multi_select" in field_types


def test_aliases_point_at_real_handlers(spec: dict[str, Any]) -> None:
    by_id = {op["operationId"]: op for _, _, op in operations(spec)}
    for op in by_id.values():
        if "x-mock-handler" in op:
            target = by_id[op["x-mock-handler"]]
            assert "x-mock-handler" not in target
            assert resolve(spec, op["responses"]["200"]) is resolve(spec, target["responses"]["200"])


def test_company_is_public_and_everything_else_needs_a_key(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["ApiKeyAuth"]["name"] == "x-api-key"
    assert spec["security"] == [{"ApiKeyAuth": []}]
    for path, _method, op in operations(spec):
        if op["operationId"] in PUBLIC:
            assert {} in op["security"] or op["security"] == []
        else:
            assert "security" not in op, path


def test_examples_match_their_schemas(spec: dict[str, Any]) -> None:
    checked = 0
    for path, method, op in operations(spec):
        places = []
        body = resolve(spec, op.get("requestBody", {}))
        places += list(body.get("content", {}).values())
        for response in op["responses"].values():
            places += list(resolve(spec, response).get("content", {}).values())
        for media in places:
            assert "example" in media or "examples" in media, f"{method.upper()} {path}: no example"
            check = validator(spec, media["schema"])
            for value in examples(media):
                errors = sorted(check.iter_errors(value), key=str)
                assert not errors, f"{method.upper()} {path}: {errors[0].message}"
                checked += 1
    assert checked > 50


def test_sdk_shapes_are_required(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert set(schemas["JobSearchResponse"]["required"]) == {
        "jobs",
        "total",
        "page",
        "page_size",
        "total_pages",
        "facets",
    }
    assert set(schemas["JobFeedResponse"]["required"]) == {"jobs", "next_cursor", "has_more"}
    assert set(schemas["ExpiredJobIdsResponse"]["required"]) == {"job_ids", "next_cursor", "has_more"}
    feed = schemas["JobFeedRequest"]["properties"]
    assert (feed["batch_size"]["minimum"], feed["batch_size"]["maximum"], feed["batch_size"]["default"]) == (
        1,
        1000,
        1000,
    )
    assert feed["stable_scan"]["default"] is True
    page_size = resolve(spec, spec["components"]["parameters"]["PageSize"])["schema"]
    assert (page_size["minimum"], page_size["maximum"], page_size["default"]) == (1, 100, 25)


def test_domain_defaults_are_the_spec_tables(spec: dict[str, Any]) -> None:
    from mock_server.vendors.jobo.domain.world import DEFAULT_PRICES, DEFAULT_RATE_LIMITS

    assert spec["x-mock-rate-limits"] == DEFAULT_RATE_LIMITS
    prices = {op["operationId"]: op["x-mock-price"]["credits"] for _, _, op in operations(spec)}
    as_milli = {name: int(Decimal(str(prices[op])) * 1000) for name, op in (
        ("search", "searchJobs"), ("company_jobs", "getCompanyJobs"), ("feed", "getJobsFeed"), ("geocode", "geocodeLocation"),
    )}  # fmt: skip
    assert as_milli == DEFAULT_PRICES
