"""The simulated UpHunt service: pure Python, no HTTP.

The HTTP layer translates requests into calls on :class:`~.simulator.Simulator`
and renders what comes back; every business rule lives here.
"""
