"""The vendor-neutral engine: clock, scheduler, journal, serving, spec loading and validation, the
request pipeline, the control API, scenarios, webhook delivery, world files and the contract checker.

Nothing here imports a vendor (``mock_server.vendors``); vendors are found by name through
:mod:`.vendor`. import-linter checks it in ``make test`` (``[tool.importlinter]`` in pyproject.toml).
"""
