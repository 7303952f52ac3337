"""One package per simulated API (moto's per-service folders): ``uphunt``, ``jobo``.

Each exports ``VENDOR``, a :class:`mock_server.core.vendor.Vendor`, listed in the
``uphunt_mock.vendors`` entry-point group of pyproject.toml.
"""
