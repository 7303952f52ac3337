"""The yardstick for the Jobo benchmark: a bare Starlette app answering the same bytes as the mock.

The bodies are the mock's own answers, captured by bench/jobo_bench.py in the same run and passed
as files (JOBO_FEED_BODY, JOBO_SEARCH_BODY): a feed page of 1,000 jobs and a search page of 100.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

FEED_BODY = Path(os.environ["JOBO_FEED_BODY"]).read_bytes()
SEARCH_BODY = Path(os.environ["JOBO_SEARCH_BODY"]).read_bytes()


async def feed(request: Request) -> Response:
    json.loads(await request.body())  # parse the request body as the mock must
    return Response(FEED_BODY, media_type="application/json")


async def search(request: Request) -> Response:
    return Response(SEARCH_BODY, media_type="application/json")


app = Starlette(routes=[Route("/api/jobs/feed", feed, methods=["POST"]), Route("/api/jobs", search, methods=["GET"])])
