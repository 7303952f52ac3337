"""The simulated Jobo Enterprise service: pure Python, no HTTP.

The vendor's HTTP layer translates requests into calls on :class:`~.world.JoboWorld` and
renders what comes back; every business rule (catalogue, search, feed, wallet, plans, rate
limits) lives here, and failures are typed :mod:`~.errors` without status codes.
"""

from .world import JoboSettings, JoboWorld

__all__ = ["JoboSettings", "JoboWorld"]
