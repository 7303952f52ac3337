"""The cyclic collector's policy in a mock process: whatever a collection finds alive is frozen.

A mock's state only grows while it serves: every apply adds an application and its scheduled
events, and they live until the next reset. CPython's collector does not know that. Its young
collections walk what survived the previous ones until it is promoted, and its full
collections walk every tracked object: the pauses grow with the state (with 100,000
applications made through the API, a full collection took 270 ms of CPU, and apply p99 at
1 connection was 12x the bare endpoint's, bench/RESULTS.md).

The policy, for a process that serves a mock and nothing else (``uphunt-mock serve``):

* at start-up and on every reset, collect everything, then freeze (``gc.freeze``): the world
  as loaded is never walked again;
* after every collection the interpreter runs by itself (young or full), freeze what survived
  it (``gc.freeze`` only moves the generations' lists: constant time). Every collection then
  walks only what was allocated since the previous one (at most the young threshold, 700
  objects): each pause is a young collection's, ~0.1-0.2 ms, whatever the state holds, and
  a long-lived object is walked once instead of once per generation it passes through.
  (Freezing only after full collections, the first version of this policy, left middle
  collections of up to ~8,000 objects, 2-4 ms each, and the p99 at one connection in them.)

Objects are frozen only once a collection found them reachable. What becomes cyclic garbage
after being frozen waits for the next reset, which unfreezes and collects everything; acyclic
garbage is freed by reference counting as always, frozen or not. Measured in the served
process (unfreeze + collect after each load, bench/NOTES.md): no such garbage after API traffic
of every status, keep-alive or not, scenario replies, drops and delays, dashboard streams, or
failed webhook attempts (whose tracebacks are released for this, ``webhooks._release_frames``).
"""

from __future__ import annotations

import gc
from typing import Any


def install() -> None:
    """Apply the policy to this process: collect and freeze now, freeze after every collection."""
    if _freeze_after_collection not in gc.callbacks:
        gc.callbacks.append(_freeze_after_collection)
    collect_and_freeze()


def uninstall() -> None:
    """Back to CPython's defaults (tests); the frozen objects are handed back to the collector."""
    if _freeze_after_collection in gc.callbacks:
        gc.callbacks.remove(_freeze_after_collection)
    gc.unfreeze()


def collect_and_freeze() -> None:
    """Collect everything, the frozen objects included, and freeze what is left (start-up, reset).

    A previous world becomes garbage at a reset: it is freed here, inside ``POST /_mock/reset``,
    not during the traffic that follows.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def _freeze_after_collection(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop":
        gc.freeze()
