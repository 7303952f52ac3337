"""A toy vendor, defined entirely outside ``mock_server``: a spec, handlers and an error dialect.

It proves the engine's boundary: with no edit to ``mock_server.core`` it serves, validates,
journals, takes scenarios, renders its own errors and passes schemathesis.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mock_server.core.clock import Clock, now_ms
from mock_server.core.errors import ApiError
from mock_server.core.scheduler import Scheduler
from mock_server.core.vendor import Ctx, Vendor
from mock_server.core.world import World

SPEC = str(Path(__file__).with_name("notes.yaml"))
KEY = "toy_key"


class NoteNotFound(ApiError):
    status, code = 404, "note_not_found"


class BadKey(ApiError):
    status, code = 401, "bad_key"


class Notes:
    """The backend: notes per key, on the engine's clock."""

    def __init__(self, clock: Clock, keys: list[str], seed: int) -> None:
        self.clock = clock
        self.scheduler = Scheduler(clock)
        self.seed = seed
        self.event_listeners: list[Callable[[Any], None]] = []
        self.keys = set(keys)
        self.notes: dict[str, dict[str, Any]] = {}

    def settle(self, max_seconds: float = 0.0) -> float:
        return 0.0


class NotesWorld(World):
    @classmethod
    def default_data(cls) -> dict[str, Any]:
        return {"keys": [KEY]}

    def build(self, clock: Clock) -> Notes:
        return Notes(clock, self.data["keys"], self.seed)


def create_note(ctx: Ctx) -> tuple[int, Any]:
    notes: Notes = ctx.runtime.sim
    note = {
        "id": f"note_{len(notes.notes) + 1}",
        "text": ctx.body["text"],
        "createdAt": now_ms(notes.clock),
        "key": ctx.account,
    }
    notes.notes[note["id"]] = note
    return 201, {k: v for k, v in note.items() if k != "key"}


def list_notes(ctx: Ctx) -> tuple[int, Any]:
    notes: Notes = ctx.runtime.sim
    mine = [{k: v for k, v in n.items() if k != "key"} for n in notes.notes.values() if n["key"] == ctx.account]
    return 200, {"notes": mine}


def get_note(ctx: Ctx) -> tuple[int, Any]:
    note = ctx.runtime.sim.notes.get(ctx.params["noteId"])
    if note is None or note["key"] != ctx.account:
        raise NoteNotFound(f"no note {ctx.params['noteId']!r}")
    return 200, {k: v for k, v in note.items() if k != "key"}


class NotesVendor(Vendor):
    name = "toy"
    title = "Notes"
    spec_name = SPEC
    demo_api_key = KEY
    handlers = {"createNote": create_note, "listNotes": list_notes, "getNote": get_note}

    def load_world(self, path: str | Path | None = None, seed: int | None = None) -> NotesWorld:
        return NotesWorld(NotesWorld.default_data(), seed or 0)

    def authenticate(self, rt: Any, op: Any, headers: Mapping[str, str]) -> Any:
        key = headers.get("x-api-key")
        if key not in rt.sim.keys:
            raise BadKey("missing or unknown x-api-key")
        return key

    def render_error(self, rt: Any, exc: ApiError, op: Any) -> tuple[int, Any, dict[str, str]]:
        return exc.status, {"code": exc.code, "detail": exc.message}, dict(exc.headers)


VENDOR = NotesVendor()
NotesWorld.vendor = VENDOR
