"""The cyclic collector's policy in a mock process: what a full collection finds alive is frozen.

A mock's state only grows while it serves: every apply adds an application and its scheduled
events, and they live until the next reset. CPython's collector does not know that. Its full
collections walk every tracked object, and it runs one whenever the objects that survived
since the last one reach 25% of those that survived it: the pauses grow with the state (with
100,000 applications made through the API, a full collection took 270 ms of CPU, and apply
p99 at 1 connection was 12x the bare endpoint's, bench/RESULTS.md).

The policy, for a process that serves a mock and nothing else (``uphunt-mock serve``):

* at start-up and on every reset, collect everything, then freeze (``gc.freeze``): the world
  as loaded is never walked again;
* after every full collection the interpreter runs by itself, freeze what survived it: a
  full collection then walks only what was created since the previous one, so its pause is
  bounded by the collection thresholds, not by the size of the state;
* full collections run at most every other young (generation 1) collection, so what one
  walks stays small.

Objects are frozen only after a full collection found them reachable. What becomes cyclic
garbage after being frozen (a connection's objects, if it was open at that moment) waits for
the next reset, which unfreezes and collects everything; acyclic garbage is freed by reference
counting as always, frozen or not.
"""

from __future__ import annotations

import gc
from typing import Any

# Generation 2 is collected once generation 1 has been collected more than this many times
# (CPython's default is 10): with survivors frozen, a full collection walks about
# (threshold + 1) young collections' worth of objects.
FULL_COLLECTION_THRESHOLD = 1


def install() -> None:
    """Apply the policy to this process: collect and freeze now, freeze after every full collection."""
    if _freeze_after_full_collection not in gc.callbacks:
        gc.callbacks.append(_freeze_after_full_collection)
    young, middle, _old = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_THRESHOLD)
    collect_and_freeze()


def uninstall() -> None:
    """Back to CPython's defaults (tests); the frozen objects are handed back to the collector."""
    if _freeze_after_full_collection in gc.callbacks:
        gc.callbacks.remove(_freeze_after_full_collection)
    young, middle, _old = gc.get_threshold()
    gc.set_threshold(young, middle, 10)
    gc.unfreeze()


def collect_and_freeze() -> None:
    """Collect everything, the frozen objects included, and freeze what is left (start-up, reset).

    A previous world becomes garbage at a reset: it is freed here, inside ``POST /_mock/reset``,
    not during the traffic that follows. The second, empty collection sets the collector's
    count of long-lived objects to zero, so the next full collection is not postponed (and
    made bigger) by the size of the frozen world.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    gc.collect()


def _freeze_after_full_collection(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info["generation"] == 2:
        gc.freeze()
