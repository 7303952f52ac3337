"""Static checks of the hand-written OpenAPI contracts in openapi/.

The server routes by operationId and validates requests with the schemas in
these files, so a broken or inconsistent spec must fail here, before any HTTP
test runs.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

OPENAPI_DIR = Path(__file__).resolve().parent.parent / "openapi"
UPHUNT = OPENAPI_DIR / "uphunt.yaml"
CONTROL = OPENAPI_DIR / "control.yaml"
SPEC_FILES = [UPHUNT, CONTROL]
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# The operationIds the server routes by (brief / docs/decisions.md); renaming one breaks the server.
UPHUNT_OPERATION_IDS = {
    "applyToJob": ("post", "/api/auto-apply-v2/apply"),
    "getApplicationStatus": ("get", "/api/auto-apply-v2/status"),
    "listAppliedJobs": ("get", "/api/auto-apply-v2/applied-jobs"),
    "generateProposal": ("post", "/api/auto-apply-v2/generate-proposal"),
    "listFreelancers": ("get", "/api/auto-apply-v2/freelancers"),
    "listFreelancersLegacy": ("get", "/api/auto-apply/external/freelancers"),
    "getJobByCiphertext": ("get", "/api/jobs/by-ciphertext"),
    "getJobByCiphertextV1": ("get", "/api/v1/jobs/by-ciphertext"),
    "getJobByCiphertextV2": ("get", "/api/v2/jobs/by-ciphertext"),
    "getJobByCiphertextV1Path": ("get", "/api/v1/jobs/{ciphertext}"),
    "getClientJobs": ("get", "/api/clients/{companyId}/jobs"),
    "getClientJobsV1": ("get", "/api/v1/clients/{companyId}/jobs"),
    "getClientJobsV2": ("get", "/api/v2/clients/{companyId}/jobs"),
}
CONTROL_OPERATION_IDS = {
    "getHealth": ("get", "/_mock/health"),
    "resetWorld": ("post", "/_mock/reset"),
    "getState": ("get", "/_mock/state"),
    "getClock": ("get", "/_mock/clock"),
    "advanceClock": ("post", "/_mock/clock/advance"),
    "listScenarios": ("get", "/_mock/scenarios"),
    "loadScenarios": ("post", "/_mock/scenarios"),
    "clearScenarios": ("delete", "/_mock/scenarios"),
    "listRequests": ("get", "/_mock/requests"),
    "clearRequests": ("delete", "/_mock/requests"),
    "getAccount": ("get", "/_mock/accounts/{apiKey}"),
    "putAccount": ("put", "/_mock/accounts/{apiKey}"),
    "listWebhookDeliveries": ("get", "/_mock/webhooks/deliveries"),
    "redeliverWebhook": ("post", "/_mock/webhooks/deliveries/{deliveryId}/redeliver"),
    "listScenarioLibrary": ("get", "/_mock/scenarios/library"),
    "loadLibraryScenario": ("post", "/_mock/scenarios/library/{file}"),
    "getTimeline": ("get", "/_mock/timeline"),
    "getApplicationDetail": ("get", "/_mock/applications/{id}"),
    "getMeters": ("get", "/_mock/meters"),
    "streamEvents": ("get", "/_mock/events"),
    "getDashboard": ("get", "/_mock/ui"),
    "getDashboardAsset": ("get", "/_mock/ui/assets/{file}"),
    "takeSnapshot": ("post", "/_mock/snapshot"),
    "restoreSnapshot": ("post", "/_mock/restore"),
    "getControlSpec": ("get", "/_mock/openapi.json"),
}
RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


# ------------------------------------------------------------------ helpers


def load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def uphunt() -> dict[str, Any]:
    return load(UPHUNT)


@pytest.fixture(scope="module")
def control() -> dict[str, Any]:
    return load(CONTROL)


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow local $refs (``#/a/b``) until a non-reference node is reached."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local refs are allowed: {ref}"
        target: Any = spec
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def responses(spec: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for path, method, op in operations(spec):
        for status, response in op.get("responses", {}).items():
            yield path, method, str(status), resolve(spec, response)


def json_media(response: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for media_type, media in response.get("content", {}).items():
        if media_type == "application/json" or media_type.endswith("+json"):
            yield media_type, media


def example_values(media: dict[str, Any]) -> list[Any]:
    values = []
    if "example" in media:
        values.append(media["example"])
    for example in media.get("examples", {}).values():
        values.append(example["value"])
    return values


def schema_validator(spec: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Validator:
    """A 2020-12 validator for ``schema`` whose local refs point into ``spec``."""
    base = "urn:uphunt-mock:spec"

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
        rebase(copy.deepcopy(schema)),
        registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )


# ------------------------------------------------------------------ validity


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.name)
def test_spec_is_valid_openapi_31(path: Path) -> None:
    spec = load(path)
    assert spec["openapi"] == "3.1.0"
    validate(spec)


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.name)
def test_every_operation_has_a_unique_operation_id(path: Path) -> None:
    spec = load(path)
    seen: dict[str, str] = {}
    for p, method, op in operations(spec):
        op_id = op.get("operationId")
        assert op_id, f"{method.upper()} {p} has no operationId"
        assert op_id not in seen, f"operationId {op_id} used twice ({seen[op_id]} and {p})"
        seen[op_id] = p


def test_documented_operation_ids_keep_their_routes(uphunt: dict[str, Any], control: dict[str, Any]) -> None:
    """Renaming or moving an operation users call breaks them; new operations may be added freely."""
    found = {op["operationId"]: (method, path) for spec in (uphunt, control) for path, method, op in operations(spec)}
    for op_id, route in {**UPHUNT_OPERATION_IDS, **CONTROL_OPERATION_IDS}.items():
        assert found.get(op_id) == route, f"{op_id} moved or vanished: {found.get(op_id)} != {route}"


def test_every_operation_of_the_specs_is_served_and_nothing_else() -> None:
    """The spec is the registry: the operations (read from the specs) are exactly the app's API routes."""
    from starlette.routing import Route

    from mock_server.core.app import create_app
    from mock_server.core.runtime import Runtime
    from mock_server.core.spec import compile_operations, load_spec

    app = create_app(Runtime(clock="manual"))
    routed = {
        (r.name, next(iter(sorted((r.methods or set()) - {"HEAD"}))), r.path)
        for r in app.routes
        if isinstance(r, Route)
    }
    specified = {
        (op.operation_id, op.method, op.path)
        for name in ("uphunt.yaml", "control.yaml")
        for op in compile_operations(load_spec(name))
    }
    assert specified <= routed
    extra = {r for r in routed if r[0] not in {s[0] for s in specified}}
    assert all(
        path in ("/openapi.json", "/docs") or path.startswith(("/docs/", "/_mock/ui")) or path == "/_mock/openapi.json"
        for _, _, path in extra
    ), extra


def test_every_uphunt_operation_documents_a_4xx_with_a_schema(uphunt: dict[str, Any]) -> None:
    for path, method, op in operations(uphunt):
        ok = False
        for status, response in op["responses"].items():
            if str(status).startswith("4"):
                response = resolve(uphunt, response)
                ok = ok or any("schema" in m for _, m in json_media(response))
        assert ok, f"{method.upper()} {path} has no 4xx response with a JSON schema"


def test_control_operations_with_input_document_their_4xx(control: dict[str, Any]) -> None:
    # Control operations that take no input cannot fail with a client error; the rest must say how they do.
    for path, method, op in operations(control):
        takes_input = "requestBody" in op or op.get("parameters") or control["paths"][path].get("parameters")
        if takes_input:
            four = [s for s in op["responses"] if str(s).startswith("4")]
            assert four, f"{method.upper()} {path} takes input but documents no 4xx"


# ------------------------------------------------------------------ references


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.name)
def test_every_x_mock_handler_names_an_existing_operation(path: Path) -> None:
    spec = load(path)
    op_ids = {op["operationId"] for _, _, op in operations(spec)}
    for p, method, op in operations(spec):
        handler = op.get("x-mock-handler")
        if handler is not None:
            assert handler in op_ids, f"{method.upper()} {p}: x-mock-handler {handler!r} is not an operationId"
            assert handler != op["operationId"]
            assert "x-mock-handler" not in operations_by_id(spec)[handler], "aliases must point at a real handler"


def operations_by_id(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {op["operationId"]: op for _, _, op in operations(spec)}


def test_aliases_answer_like_their_handler(uphunt: dict[str, Any]) -> None:
    by_id = operations_by_id(uphunt)
    for op_id, op in by_id.items():
        handler = op.get("x-mock-handler")
        if handler is None:
            continue
        target = by_id[handler]
        assert resolve(uphunt, op["responses"]["200"]) is resolve(uphunt, target["responses"]["200"]), op_id


def test_all_local_refs_resolve() -> None:
    for path in SPEC_FILES:
        spec = load(path)

        def walk(node: Any, spec: dict[str, Any] = spec) -> None:
            if isinstance(node, dict):
                if isinstance(node.get("$ref"), str):
                    resolve(spec, {"$ref": node["$ref"]})
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(spec)


# ------------------------------------------------------------------ examples


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.name)
def test_every_json_response_has_an_example(path: Path) -> None:
    spec = load(path)
    for p, method, status, response in responses(spec):
        for media_type, media in json_media(response):
            assert "example" in media or "examples" in media, (
                f"{method.upper()} {p} {status} {media_type} has no example"
            )


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.name)
def test_examples_match_their_schemas(path: Path) -> None:
    spec = load(path)
    checked = 0
    for p, method, op in operations(spec):
        places = []
        body = resolve(spec, op.get("requestBody", {}))
        places += [(f"{method.upper()} {p} request", m) for _, m in json_media(body)]
        for status, response in op.get("responses", {}).items():
            response = resolve(spec, response)
            places += [(f"{method.upper()} {p} {status}", m) for _, m in json_media(response)]
        for where, media in places:
            if "schema" not in media:
                continue
            validator = schema_validator(spec, media["schema"])
            for value in example_values(media):
                errors = sorted(validator.iter_errors(value), key=str)
                assert not errors, f"{where}: example does not match schema: {errors[0].message}"
                checked += 1
    for name, webhook in spec.get("webhooks", {}).items():
        for _, media in json_media(webhook["post"]["requestBody"]):
            validator = schema_validator(spec, media["schema"])
            for value in example_values(media):
                errors = list(validator.iter_errors(value))
                assert not errors, f"webhook {name}: {errors[0].message}"
                checked += 1
    assert checked > 0


# ------------------------------------------------------------------ contract details


def test_apply_links_queue_id_to_status(uphunt: dict[str, Any]) -> None:
    apply_ok = resolve(uphunt, uphunt["paths"]["/api/auto-apply-v2/apply"]["post"]["responses"]["200"])
    link = resolve(uphunt, apply_ok["links"]["GetStatusByQueueId"])
    assert link["operationId"] == "getApplicationStatus"
    assert link["parameters"] == {"queueId": "$response.body#/queueId"}
    assert "GetStatusByQueueId" in uphunt["components"]["links"]


def test_rate_limit_headers_where_required(uphunt: dict[str, Any]) -> None:
    with_headers = {"400", "402", "404", "409", "422", "429"}
    without_headers = {"401", "413", "500", "503"}
    for p, method, status, response in responses(uphunt):
        headers = {k: resolve(uphunt, v) for k, v in response.get("headers", {}).items()}
        where = f"{method.upper()} {p} {status}"
        if status.startswith("2") or status in with_headers:
            for name in RATE_LIMIT_HEADERS:
                assert name in headers and headers[name].get("required") is True, f"{where}: {name} missing"
        elif status in without_headers:
            for name in RATE_LIMIT_HEADERS:
                assert name not in headers, f"{where}: {name} must not be declared"
        if status == "429":
            assert headers["Retry-After"].get("required") is True, where
        if status == "503":
            assert headers.get("Retry-After", {}).get("required") is not True, where


def test_security(uphunt: dict[str, Any]) -> None:
    schemes = uphunt["components"]["securitySchemes"]
    assert schemes["ApiKeyAuth"] == {**schemes["ApiKeyAuth"], "type": "apiKey", "in": "header", "name": "x-api-key"}
    assert schemes["LegacyBearer"]["type"] == "http" and schemes["LegacyBearer"]["scheme"] == "bearer"
    assert uphunt["security"] == [{"ApiKeyAuth": []}]
    for path, _, op in operations(uphunt):
        if path.startswith("/api/v1/"):
            assert op["security"] == [{"ApiKeyAuth": []}, {"LegacyBearer": []}], path
        else:
            assert "security" not in op, path


def test_request_schemas_carry_the_422_class_constraints(uphunt: dict[str, Any]) -> None:
    schemas = uphunt["components"]["schemas"]
    apply = schemas["ApplyRequest"]
    assert apply["additionalProperties"] is False
    assert set(apply["required"]) == {"jobId", "coverLetter"}
    assert apply["properties"]["jobId"]["maxLength"] == 2048
    assert apply["properties"]["coverLetter"]["maxLength"] == 50000
    proposal = schemas["ProposalOptions"]
    assert proposal["additionalProperties"] is False
    assert proposal["properties"]["hourlyRate"]["minimum"] == 0
    assert proposal["properties"]["fixedBid"]["minimum"] == 0
    assert (proposal["properties"]["boostBids"]["minimum"], proposal["properties"]["boostBids"]["maximum"]) == (0, 1000)
    assert schemas["Timeline"]["enum"] == ["Less than 1 month", "1 to 3 months", "3 to 6 months", "More than 6 months"]
    gen = schemas["GenerateProposalRequest"]
    assert gen["additionalProperties"] is False
    assert gen["properties"]["jobTitle"]["maxLength"] == 500
    assert gen["properties"]["jobDescription"]["maxLength"] == 20000
    assert gen["properties"]["reasoningEffort"]["default"] == "medium"
    limit = resolve(uphunt, uphunt["components"]["parameters"]["Limit"])["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 100, 20)


def test_status_record_matches_the_check_status_page(uphunt: dict[str, Any]) -> None:
    record = uphunt["components"]["schemas"]["ApplicationStatus"]
    assert set(record["required"]) == {
        "jobId",
        "processedJobId",
        "applicationStatus",
        "applicationStatusMessage",
        "queueId",
        "appliedAt",
        "processedAt",
        "errorMessage",
    }
    assert uphunt["components"]["schemas"]["ApplicationStatusValue"]["enum"] == [
        "processing",
        "applied",
        "failed",
        "not_available",
        "not_eligible",
        "not_enough_connects",
        "logged_out",
    ]
    seed_example = {
        "jobId": "~01abc123def456",
        "processedJobId": "0b6f4a52-5d0c-4c1e-9a53-1d2f3e4a5b6c",
        "applicationStatus": "applied",
        "applicationStatusMessage": "Successfully applied via auto-apply",
        "queueId": "queue_abc123",
        "appliedAt": 1732204800000,
        "processedAt": 1732204790000,
        "errorMessage": None,
    }
    schema_validator(uphunt, {"$ref": "#/components/schemas/ApplicationStatus"}).validate(seed_example)


def test_the_pipeline_page_error_example_is_valid(uphunt: dict[str, Any]) -> None:
    schema_validator(uphunt, {"$ref": "#/components/schemas/InsufficientCreditsError"}).validate(
        {"error": "Insufficient auto-apply credits", "creditsRemaining": 0, "needsCredits": True}
    )


def test_webhooks(uphunt: dict[str, Any]) -> None:
    assert set(uphunt["webhooks"]) == {"application.applied", "application.failed"}
    for webhook in uphunt["webhooks"].values():
        params = {p["name"]: p for p in (resolve(uphunt, x) for x in webhook["post"]["parameters"])}
        delivery = params["X-UpHunt-Delivery"]
        assert delivery["in"] == "header" and delivery["required"] is True
        assert delivery["schema"]["pattern"] == "^dlv_[0-9a-f]{32}$"
        assert "X-UpHunt-Event" in params
