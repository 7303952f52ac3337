"""The yardstick: a bare Starlette app answering the same JSON as the mock, with no logic.

The mock's throughput is reported as a ratio to this app, measured in the
same run on the same machine, so the figures survive a change of hardware.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

STATUS_BODY = json.dumps(
    {
        "jobId": "~022053140178050136031",
        "processedJobId": "0b5e6c7d-8f90-4a1b-b2c3-d4e5f6a7b8c9",
        "applicationStatus": "processing",
        "applicationStatusMessage": "Application is being submitted to Upwork",
        "queueId": "queue_c209629f6fbed82c07cd",
        "appliedAt": None,
        "processedAt": None,
        "errorMessage": None,
    },
    separators=(",", ":"),
).encode()
APPLY_BODY = json.dumps(
    {
        "queueId": "queue_c209629f6fbed82c07cd",
        "jobId": "~022053140178050136031",
        "processedJobId": "0b5e6c7d-8f90-4a1b-b2c3-d4e5f6a7b8c9",
        "applicationStatus": "processing",
        "creditsRemaining": 99,
    },
    separators=(",", ":"),
).encode()


async def status(request: Request) -> Response:
    return Response(STATUS_BODY, media_type="application/json")


async def apply(request: Request) -> Response:
    json.loads(await request.body())  # parse the body as the mock must
    return Response(APPLY_BODY, media_type="application/json")


app = Starlette(
    routes=[
        Route("/api/auto-apply-v2/status", status, methods=["GET"]),
        Route("/api/auto-apply-v2/apply", apply, methods=["POST"]),
        Route("/_mock/reset", lambda r: Response(b"{}", media_type="application/json"), methods=["POST"]),
    ]
)
