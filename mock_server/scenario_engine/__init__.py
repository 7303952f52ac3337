"""The scenario engine, split by concern.

* :mod:`.schema`   parse a scenario document (YAML/JSON), validate it against
  ``schemas/scenario.schema.yaml`` and compile it into :class:`~.model.Rule` objects;
* :mod:`.model`    the compiled rules and their live counters;
* :mod:`.matching` what a rule can match on (requests, outcomes, webhook events);
* :mod:`.actions`  what a rule does (respond, delay, drop, outcome, account, closeJob...);
* :mod:`.engine`   :class:`ScenarioEngine`, which wires the rules into a Runtime.

``mock_server.scenarios`` is the public entry point.
"""
